"""Reads of retailer data.

`service_areas_visible_to` is THE scoping rule, and `retailers_visible_to` applies it to shops:
every list, dossier, export and API of every app starts from one of them.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from itertools import chain, combinations

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    RowRange,
    Sum,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Replace, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from crm_site.formatting import format_count, format_list
from retailers.models import (
    ComplianceRecord,
    Order,
    OrderLine,
    Product,
    Region,
    Retailer,
    RetailerDistinctPair,
    ServiceArea,
)
from retailers.timeline import TimelineEvent
from retailers.validators import normalize_phone, to_half_width


def _may_view_retailers(user) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("retailers.view_retailer")


def sees_every_retailer(user) -> bool:
    """Whether `retailers_visible_to(user)` is every shop: callers then skip the shop filter."""
    return _may_view_retailers(user) and user.has_perm("retailers.view_all_retailers")


def service_areas_visible_to(user) -> QuerySet[ServiceArea]:
    """The service areas whose shops a user may see.

    - admins and complaint clerks (permission view_all_retailers): every area;
    - supervisors (view_region_retailers): the areas of the regions they supervise;
    - sales managers: their own areas;
    - anyone else, or an inactive user: none.
    """
    areas = ServiceArea.objects.select_related("region")
    if not _may_view_retailers(user):
        return areas.none()
    if user.has_perm("retailers.view_all_retailers"):
        return areas
    if user.has_perm("retailers.view_region_retailers"):
        return areas.filter(region__supervisors=user)
    return areas.filter(managers=user)


def users_who_can_see(*, retailer: Retailer) -> QuerySet:
    """The same rule from the other side: every active user who may open this shop."""
    from crm_site.models import User

    area = retailer.service_area
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="view_all_retailers")
            | Q(groups__permissions__codename="view_region_retailers", supervised_regions=area.region_id)
            | Q(groups__permissions__codename="view_retailer", service_areas=area)
        )
        .distinct()
    )


def account_manager_choices(*, areas: QuerySet[ServiceArea] | list[ServiceArea]) -> QuerySet:
    """The users who may be the account manager of a shop in one of `areas`: the sales managers
    serving them (another area's manager would take the shop out of its own managers' lists)."""
    from crm_site.models import User
    from crm_site.roles import Role

    return (
        User.objects.filter(is_active=True, groups__name=Role.SALES_MANAGER, service_areas__in=areas)
        .distinct()
        .order_by("username")
        .prefetch_related("service_areas")  # every area each one serves, for account_manager_label
    )


def account_manager_label(manager) -> str:
    """How a manager reads in a choice: the name and the areas they serve, "宋经理（玄武一片、玄武二片）"
    / "Song (Area 1, Area 2)"; the areas come from account_manager_choices' prefetch."""
    areas = manager.service_areas.all()
    if not areas:
        return str(manager)
    return pgettext("a user and the service areas they serve", "%(name)s (%(areas)s)") % {
        "name": manager,
        "areas": format_list(areas),
    }


def retailers_visible_to(user) -> QuerySet[Retailer]:
    """The retailers a user may see: those of `service_areas_visible_to(user)`."""
    retailers = Retailer.objects.all()
    if sees_every_retailer(user):
        return retailers
    if not _may_view_retailers(user):
        return retailers.none()
    return retailers.filter(service_area__in=service_areas_visible_to(user).values("pk"))


def orders_visible_to(user) -> QuerySet[Order]:
    """The orders of the shops a user may see (the same rule as `retailers_visible_to`), for
    users who may see purchases at all (permission view_order)."""
    orders = Order.objects.all()
    if not (_may_view_retailers(user) and user.has_perm("retailers.view_order")):
        return orders.none()
    if user.has_perm("retailers.view_all_retailers"):
        return orders
    return orders.filter(retailer__service_area__in=service_areas_visible_to(user).values("pk"))


SUBSTRING_MIN_LENGTH = 3  # the trigram index serves substring tests of this many characters and more
SEARCH_TABLE = "retailers_retailer_search"  # SQLite's FTS5 trigram index of name and owner (migration 0012)


def _starting_with(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a range its B-tree index scans on both databases (a LIKE
    'x%' is served by none: SQLite's LIKE ignores case, PostgreSQL's needs a C collation). The
    range is exact in code-point order (SQLite, PostgreSQL's C.UTF-8); `startswith` keeps the
    answer exact under any other collation."""
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are no characters
        following = 0xE000
    if following > 0x10FFFF:
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix[:-1] + chr(following), f"{field}__startswith": prefix})


def _name_or_owner_containing(term: str) -> Q:
    """Name or owner contains `term` (of SUBSTRING_MIN_LENGTH characters or more), through the
    trigram index: FTS5's trigram tokenizer on SQLite (a phrase matches as a substring, ignoring
    case), pg_trgm's GIN indexes on PostgreSQL (which serve LIKE '%…%' directly)."""
    if connection.vendor == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        matching = f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH %s"  # noqa: S608 (a constant name)
        return Q(pk__in=RawSQL(matching, [phrase]))  # noqa: S611 (the term is a parameter)
    return Q(name__contains=term) | Q(owner_name__contains=term)


def retailers_matching(retailers: QuerySet[Retailer], term: str, *, by_phone: bool = True) -> QuerySet[Retailer]:
    """Free-text search as managers type it: name, owner, licence, phone, or the pinyin (full or
    initials) of shop and owner, so 王记便利店 is found by "wjbld". Users who see masked phones
    get by_phone=False: a prefix search would let them read a number digit by digit. NUL
    characters are dropped (no shop has one, and PostgreSQL refuses them in a query).

    Every test is served by an index, so a search reads only the shops it finds:
    - prefixes of the licence, the phones (4 digits or more) and the pinyin and initials of shop
      and owner (which keep Latin letters and digits as typed, so "kk" finds KK便利店);
    - a substring of name or owner through the trigram index, for terms of 3 characters or more.
    A shorter term with a Chinese character ("王", "便利") is still looked for anywhere in name and
    owner, without an index: such terms are common, so the first page fills after a short
    read in name order. A shorter term of Latin letters and digits only ("wj") is what a manager
    types for initials: it matches as a prefix only, not inside a name ("超市A1" is found by "超市"
    or "cs", not by "a1")."""
    term = to_half_width(term or "").replace("\x00", "").strip()
    if not term:
        return retailers
    lowered = term.lower().replace(" ", "")
    condition = _starting_with("license_no", term)
    if lowered:
        for field in ("name_initials", "name_pinyin", "owner_initials", "owner_pinyin"):
            condition |= _starting_with(field, lowered)
    if len(term) >= SUBSTRING_MIN_LENGTH:
        condition |= _name_or_owner_containing(term)
    elif not term.isascii():
        condition |= Q(name__contains=term) | Q(owner_name__contains=term)
    phone = normalize_phone(term)
    if by_phone and phone.isdigit() and len(phone) >= 4:
        condition |= _starting_with("phone", phone) | _starting_with("phone_alt", phone)
    return retailers.filter(condition)


def retailer_recent_orders(*, retailer: Retailer, limit: int = 10) -> list[Order]:
    return list(retailer.orders.order_by("-ordered_on", "-id")[:limit])


def retailer_compliance_records(*, retailer: Retailer) -> list[ComplianceRecord]:
    return list(retailer.compliance_records.order_by("-found_on", "-id"))


def retailer_history(*, retailer: Retailer, limit: int = 20) -> list[dict]:
    """The latest changes to a dossier and to the dossiers merged into it, newest first, each with
    the names of the fields it changed (against the previous version of the same dossier)."""
    dossier_ids = [retailer.pk, *retailer.merges.values_list("merged_retailer_id", flat=True)]
    records = list(
        Retailer.history.filter(id__in=dossier_ids)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + len(dossier_ids)]
    )
    previous_of: dict[int, object] = {}
    for record in reversed(records):
        record.previous_version = previous_of.get(record.id)
        previous_of[record.id] = record
    entries = []
    for record in records[:limit]:
        older = record.previous_version
        changed = (
            []
            if older is None
            else [Retailer._meta.get_field(change.field).verbose_name for change in record.diff_against(older).changes]
        )
        entries.append({"record": record, "changed_fields": changed, "merged": record.id != retailer.pk})
    return entries


def retailer_timeline_events(retailer: Retailer, limit: int) -> list[TimelineEvent]:
    """The retailers app's own contribution to the dossier timeline: changes, findings, merges."""
    events = [
        TimelineEvent(
            at=entry["record"].history_date,
            kind="retailers",
            title=str(_("Dossier created") if entry["record"].history_type == "+" else _("Dossier changed")),
            detail="、".join(str(name) for name in entry["changed_fields"]),
            icon="bi-pencil-square",
            actor=" · ".join(
                str(part)
                for part in (entry["record"].history_user or "", entry["record"].get_change_source_display())
                if part
            ),
        )
        for entry in retailer_history(retailer=retailer, limit=limit)
        if entry["record"].history_type != "-"
    ]
    events += [
        TimelineEvent(
            at=record.found_on,
            kind="compliance",
            title=str(_("Compliance finding: %(kind)s") % {"kind": record.get_kind_display()}),
            detail=f"{record.get_severity_display()} · {record.source_department}",
            icon="bi-exclamation-triangle",
        )
        for record in retailer.compliance_records.order_by("-found_on")[:limit]
    ]
    events += [
        TimelineEvent(
            at=merge.merged_at,
            kind="retailers",
            title=str(_("Duplicate merged in: %(name)s") % {"name": merge.merged_name}),
            detail=merge.merged_license_no,
            icon="bi-intersect",
        )
        for merge in retailer.merges.order_by("-merged_at")[:limit]
    ]
    return events


@dataclass(frozen=True)
class PurchaseSummary:
    since: datetime.date
    amount: Decimal
    cartons: int
    order_count: int
    weeks: int
    high_end_share: Decimal | None
    low_tar_share: Decimal | None
    monthly: list[dict]
    top_brands: list[dict]

    @property
    def orders_per_week(self) -> Decimal:
        return (Decimal(self.order_count) / self.weeks).quantize(Decimal("0.01")) if self.weeks else Decimal(0)


def retailer_purchase_summary(*, retailer: Retailer, months: int = 12) -> PurchaseSummary:
    """Purchases of one shop over the last `months` calendar months, this one included, from the
    stored order totals (3 queries, whatever the volume). `monthly` has one row per month, oldest
    first, months without orders included (as zeros), so a chart always shows `months` bars."""
    today = timezone.localdate()
    since = today.replace(day=1) - relativedelta(months=months - 1)
    orders = Order.objects.filter(retailer=retailer, ordered_on__gte=since)
    totals = orders.aggregate(
        amount=Coalesce(Sum("amount"), Decimal(0)),
        cartons=Coalesce(Sum("cartons"), 0),
        low_tar=Coalesce(Sum("low_tar_cartons"), 0),
        high_end=Coalesce(Sum("high_end_amount"), Decimal(0)),
        orders=Count("id"),
    )
    by_month = {
        row["month"]: row
        for row in orders.annotate(month=TruncMonth("ordered_on"))
        .values("month")
        .annotate(amount=Sum("amount"), cartons=Sum("cartons"), orders=Count("id"))
    }
    empty = {"amount": Decimal(0), "cartons": 0, "orders": 0}
    monthly = []
    for offset in range(months):
        month = since + relativedelta(months=offset)
        row = by_month.get(month, empty)
        monthly.append({"month": month, "amount": row["amount"], "cartons": row["cartons"], "orders": row["orders"]})
    top_brands = list(
        OrderLine.objects.filter(order__in=orders.values("pk"))
        .values("product__brand")
        .annotate(amount=Sum("amount"), cartons=Sum("quantity"))
        .order_by("-amount")[:5]
    )
    amount, cartons = totals["amount"], totals["cartons"]
    return PurchaseSummary(
        since=since,
        amount=amount,
        cartons=cartons,
        order_count=totals["orders"],
        weeks=(today - since).days // 7,
        high_end_share=(totals["high_end"] / amount).quantize(Decimal("0.001")) if amount else None,
        low_tar_share=(Decimal(totals["low_tar"]) / cartons).quantize(Decimal("0.001")) if cartons else None,
        monthly=monthly,
        top_brands=top_brands,
    )


def retailer_top_products(*, retailer: Retailer, months: int = 12, limit: int = 6) -> list[Product]:
    """The products a shop bought most (by amount) over the last `months` calendar months, the
    window of `retailer_purchase_summary`'s top brands: what a manager checks on the shelf during
    a visit, best first. Two queries."""
    since = timezone.localdate().replace(day=1) - relativedelta(months=months - 1)
    ranked = [
        row["product"]
        for row in OrderLine.objects.filter(order__retailer=retailer, order__ordered_on__gte=since)
        .values("product")
        .annotate(total=Sum("amount"))
        .order_by("-total", "product")[:limit]
    ]
    products = Product.objects.in_bulk(ranked)
    return [products[pk] for pk in ranked]


@dataclass(frozen=True)
class DuplicatePair:
    first: Retailer
    second: Retailer
    reasons: list[str]

    @property
    def retailers(self) -> tuple[Retailer, Retailer]:
        return (self.first, self.second)


@dataclass(frozen=True)
class DuplicatePage:
    pairs: list[DuplicatePair]
    count: int  # candidate pairs not yet decided
    count_is_exact: bool  # False when the search stopped at its bounds (then: "at least")
    next_cursor: str | None
    is_first: bool


DUPLICATE_GROUP_LIMIT = 1_000  # groups read per rule: the page's work stays bounded at any size
DUPLICATE_GROUP_SIZE = 20  # members of one group paired (a placeholder phone shared by 5,000 shops…)


def retailer_duplicate_pairs(
    *,
    retailers: QuerySet[Retailer],
    after: str | None = None,
    size: int = 20,
    limit: int = DUPLICATE_GROUP_LIMIT,
    similarity: float = 0.75,
) -> DuplicatePage:
    """One page of probable duplicate pairs among `retailers`, ordered by their ids and paged by
    the last pair shown ("12-345"; a damaged cursor gives the first page). Pairs marked "not a
    duplicate" (RetailerDistinctPair) are left out. Fixed number of queries."""
    found, bounded = _duplicate_pair_ids(retailers=retailers, limit=limit, similarity=similarity)
    dismissed = set(
        RetailerDistinctPair.objects.filter(first_id__in={first for first, _second in found}).values_list(
            "first_id", "second_id"
        )
    )
    keys = sorted(key for key in found if key not in dismissed)
    position = _pair_cursor(after)
    start = bisect.bisect_right(keys, position) if position else 0
    shown = keys[start : start + size]
    shops = Retailer.objects.select_related("service_area", "account_manager").in_bulk(
        {pk for pair in shown for pk in pair}
    )
    return DuplicatePage(
        pairs=[DuplicatePair(shops[a], shops[b], found[(a, b)]) for a, b in shown if a in shops and b in shops],
        count=len(keys),
        count_is_exact=not bounded,
        next_cursor=f"{shown[-1][0]}-{shown[-1][1]}" if shown and start + size < len(keys) else None,
        is_first=position is None,
    )


def _pair_cursor(value: str | None) -> tuple[int, int] | None:
    first, _dash, second = (value or "").partition("-")
    valid = all(part.isascii() and part.isdigit() for part in (first, second))
    return (int(first), int(second)) if valid else None


def _duplicate_pair_ids(
    *, retailers: QuerySet[Retailer], limit: int, similarity: float
) -> tuple[dict[tuple[int, int], list[str]], bool]:
    """(smaller id, larger id) -> why the two look like one shop, and whether a bound was hit.

    Three rules: the same licence once spaces and dashes are dropped, the same phone, or a very
    similar name and address in one service area. Grouping is done in SQL; only the candidates
    of the third rule (same area and same pinyin initials) are compared in Python, with difflib.
    """
    found: dict[tuple[int, int], list[str]] = {}
    bounded = False

    def add(reason: str, ids: list[int]) -> None:
        nonlocal bounded
        bounded |= len(ids) > DUPLICATE_GROUP_SIZE
        for pair in combinations(sorted(ids)[:DUPLICATE_GROUP_SIZE], 2):
            reasons = found.setdefault(pair, [])
            if reason not in reasons:
                reasons.append(reason)

    normalised_licence = Replace(Replace("license_no", Value(" "), Value("")), Value("-"), Value(""))
    by_licence = list(
        retailers.annotate(key=normalised_licence)
        .values("key")
        .annotate(n=Count("id"), ids=ArrayIds("id"))
        .filter(n__gt=1)
        .order_by("key")[: limit + 1]
    )
    by_phone = list(
        retailers.exclude(phone="")
        .values("phone")
        .annotate(n=Count("id"), ids=ArrayIds("id"))
        .filter(n__gt=1)
        .order_by("phone")[: limit + 1]
    )
    bounded |= len(by_licence) > limit or len(by_phone) > limit
    for row in by_licence[:limit]:
        add(str(_("Same licence number")), _split_ids(row["ids"]))
    for row in by_phone[:limit]:
        add(str(_("Same phone")), _split_ids(row["ids"]))

    twins = (
        retailers.filter(service_area=OuterRef("service_area"), name_initials=OuterRef("name_initials"))
        .exclude(pk=OuterRef("pk"))
        .order_by()
        .values("pk")[:1]
    )
    candidates = list(
        retailers.exclude(name_initials="")
        .filter(Exists(twins))
        .order_by("service_area_id", "name_initials", "pk")
        .values_list("pk", "service_area_id", "name_initials")[: limit * 5 + 1]
    )
    bounded |= len(candidates) > limit * 5
    candidates = candidates[: limit * 5]
    if candidates:
        texts = dict(
            Retailer.objects.filter(pk__in=[pk for pk, *_ in candidates])
            .annotate(text=Concat("name", Value(" "), "address"))
            .values_list("pk", "text")
        )
        peers: dict[tuple, list[int]] = {}
        for pk, area, initials in candidates:
            peers.setdefault((area, initials), []).append(pk)
        for members in peers.values():
            for a, b in combinations(members[:DUPLICATE_GROUP_SIZE], 2):
                if SequenceMatcher(None, texts[a], texts[b]).ratio() >= similarity:
                    add(str(_("Similar name and address in one area")), [a, b])
    return found, bounded


class ArrayIds(Aggregate):
    """The ids of a group as one comma-separated string (group_concat / string_agg)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s::text, ',')"
        )


def _split_ids(value: str) -> list[int]:
    return sorted(int(pk) for pk in value.split(","))


RETAILER_EXPORT_FIELDS = (
    # (field path, header, width, kind)
    ("license_no", _("Licence number"), 16, "text"),
    ("name", _("Shop name"), 24, "text"),
    ("owner_name", _("Owner"), 10, "text"),
    ("phone", _("Phone"), 14, "text"),
    ("address", _("Address"), 30, "text"),
    ("business_type", _("Business type"), 10, "text"),
    ("market_type", _("Market type"), 8, "text"),
    ("zone_type", _("Business circle"), 10, "text"),
    ("service_area__region__name", _("Region"), 10, "text"),
    ("service_area__name", _("Service area"), 12, "text"),
    ("account_manager__display_name", _("Account manager"), 10, "text"),
    ("tier", _("Tier"), 10, "text"),
    ("stars", _("Stars"), 8, "number"),
    ("status", _("Status"), 8, "text"),
    ("license_expires_on", _("Licence expires on"), 12, "date"),
    ("credit_level", _("Credit level"), 8, "text"),
    ("last_order_on", _("Last order"), 12, "date"),
    ("partner_since", _("Partner since"), 12, "date"),
    ("referred_by__license_no", _("Referred by (licence number)"), 16, "text"),
)


def retailer_export_rows(*, retailers: QuerySet[Retailer], may_see_phones: bool) -> Iterator[tuple]:
    """Rows of the retailer list export, with choice labels and masked phones where required.
    Labels are translated once, and rows are built by position (a dict per row cost 3 s per
    100,000 shops)."""
    from retailers.templatetags.retailer_tags import masked_phone

    paths = [path for path, *_ in RETAILER_EXPORT_FIELDS]
    labels = [
        (paths.index(field), {code: str(label) for code, label in Retailer._meta.get_field(field).choices})
        for field in ("business_type", "market_type", "zone_type", "tier", "status")
    ]
    phone = paths.index("phone")
    for values in retailers.order_by("name", "id").values_list(*paths).iterator(chunk_size=5000):
        row = list(values)
        for index, choices in labels:
            row[index] = choices.get(row[index], row[index] or "")
        if not may_see_phones:
            row[phone] = masked_phone(row[phone], may_see=False)
        yield tuple(row)


ORDER_EXPORT_FIELDS = (
    # (field path, header, width, kind)
    ("order_no", _("Order number"), 20, "text"),
    ("ordered_on", _("Order date"), 12, "date"),
    ("retailer__name", _("Shop name"), 24, "text"),
    ("retailer__license_no", _("Licence number"), 16, "text"),
    ("retailer__service_area__region__name", _("Region"), 10, "text"),
    ("retailer__service_area__name", _("Service area"), 12, "text"),
    ("amount", _("Amount (yuan)"), 14, "money"),
    ("cartons", _("Cartons"), 10, "number"),
    ("high_end_amount", _("High-end amount (yuan)"), 14, "money"),
    ("low_tar_cartons", _("Low-tar cartons"), 10, "number"),
    ("line_count", _("Lines"), 8, "number"),
    ("brand_count", _("Brands"), 8, "number"),
)
# One worksheet holds at most 1,048,576 rows, the header included.
EXCEL_MAX_DATA_ROWS = 1_048_575


def order_export_rows(*, orders: QuerySet[Order], limit: int = EXCEL_MAX_DATA_ROWS) -> Iterator[tuple]:
    """Rows of the order list export, newest first like the page, read in chunks (one query)."""
    paths = [path for path, *_ in ORDER_EXPORT_FIELDS]
    yield from orders.order_by("-ordered_on", "-id").values_list(*paths)[:limit].iterator(chunk_size=5000)


def retailers_home_line(user) -> str:
    """The home page's line (crm_site/home.py): how many shops the user can see."""
    count = retailers_visible_to(user).count()
    return ngettext("You can see %(counter)s retailer.", "You can see %(counter)s retailers.", count) % {
        "counter": format_count(count)
    }


# Reads for analytics (the forecast and the compliance risk list): whole-company aggregates in one
# query each, returned as arrays or DataFrames for vectorised work.


@dataclass(frozen=True)
class WeeklyAmounts:
    """Order amounts per shop per Monday–Sunday week: one row per shop that ordered in the weeks."""

    retailer_ids: np.ndarray  # (shops,) sorted
    service_area_ids: np.ndarray  # (shops,)
    amounts: np.ndarray  # (shops, weeks) yuan, float
    week_starts: list[datetime.date]


def _week_number_sql(vendor: str) -> str:
    """SQL for the week of `ordered_on` counted from the Monday given as the parameter."""
    if vendor == "postgresql":
        return "((ordered_on - %s::date) / 7)"
    return "CAST((julianday(ordered_on) - julianday(%s)) / 7 AS INTEGER)"


def weekly_order_amounts(
    *, first_monday: datetime.date, weeks: int, retailer_ids: list[int] | None = None
) -> WeeklyAmounts:
    """The amounts of `weeks` weeks (at most 64) from `first_monday`, as a matrix: one read of
    the order headers' (shop, week, amount), streamed in chunks straight into numpy and summed per
    shop and week there, and one read of the shops' service areas. Shops order about once a week, so
    a GROUP BY in SQL would return as many rows and cost SQLite a sort (31 s against 20 s at
    300,000 shops). `retailer_ids` narrows it to some shops (a shop's own page)."""
    if not 0 < weeks <= 64:
        raise ValueError("weekly_order_amounts reads 1 to 64 weeks")
    end = first_monday + datetime.timedelta(weeks=weeks)
    table = connection.ops.quote_name(Order._meta.db_table)
    shops_filter, params = "", [first_monday, first_monday, end]
    if retailer_ids is not None:
        shops_filter = f" AND retailer_id IN ({', '.join(['%s'] * len(retailer_ids))})" if retailer_ids else " AND 0=1"
        params += list(retailer_ids)
    # Shop and week packed in one integer: a value fewer per row for the driver to build.
    sql = (
        f"SELECT retailer_id * 64 + {_week_number_sql(connection.vendor)}, "  # noqa: S608
        f"CAST(amount AS DOUBLE PRECISION) FROM {table} WHERE ordered_on >= %s AND ordered_on < %s{shops_filter}"
    )
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(200_000):
            chunks.append(np.fromiter(chain.from_iterable(rows), dtype=float, count=2 * len(rows)))
    pairs = np.concatenate(chunks).reshape(-1, 2) if chunks else np.zeros((0, 2))
    keys = pairs[:, 0].astype(np.int64)
    areas = Retailer.objects.order_by("pk").values_list("pk", "service_area_id")
    if retailer_ids is not None:
        areas = areas.filter(pk__in=retailer_ids)
    known = np.array(list(areas), dtype=np.int64).reshape(-1, 2)
    cells = np.searchsorted(known[:, 0], keys // 64) * weeks + keys % 64
    amounts = np.bincount(cells, weights=pairs[:, 1], minlength=len(known) * weeks).reshape(len(known), weeks)
    ordered = amounts.any(axis=1)
    ids, area_ids, amounts = known[ordered, 0], known[ordered, 1], amounts[ordered]
    return WeeklyAmounts(ids, area_ids, amounts, [first_monday + datetime.timedelta(weeks=k) for k in range(weeks)])


def retailer_risk_attributes() -> pd.DataFrame:
    """Every shop's peer-group attributes for the compliance risk rules: id, service area,
    region, business type (业态), status and licence expiry. One query."""
    columns = ["retailer_id", "service_area_id", "region_id", "business_type", "status", "license_expires_on"]
    rows = Retailer.objects.values_list(
        "pk", "service_area_id", "service_area__region_id", "business_type", "status", "license_expires_on"
    )
    return pd.DataFrame.from_records(list(rows), columns=columns)


def order_totals_per_retailer(*, since: datetime.date, until: datetime.date) -> pd.DataFrame:
    """Amount and high-end amount per shop over [since, until], from the order headers."""
    rows = (
        Order.objects.filter(ordered_on__gte=since, ordered_on__lte=until)
        .values("retailer_id")
        .annotate(total=Sum("amount"), high_end=Sum("high_end_amount"))
        .values_list("retailer_id", "total", "high_end")
        .order_by()
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["retailer_id", "amount", "high_end_amount"])
    return frame.astype({"amount": float, "high_end_amount": float})


def order_spikes(
    *, since: datetime.date, until: datetime.date, ratio: float, previous: int = 3, history_weeks: int = 12
) -> pd.DataFrame:
    """Orders of [since, until] above `ratio` × the mean of the shop's `previous` orders before
    them (a shop with fewer earlier orders in the `history_weeks` weeks before `since` is not
    judged): order id, shop, date, amount, the earlier mean. One query with a window function."""
    window = {
        "partition_by": [F("retailer_id")],
        "order_by": [F("ordered_on").asc(), F("id").asc()],
        "frame": RowRange(start=-previous, end=-1),
    }
    rows = (
        Order.objects.filter(ordered_on__gte=since - datetime.timedelta(weeks=history_weeks), ordered_on__lte=until)
        .annotate(previous_mean=Window(Avg("amount"), **window), previous_count=Window(Count("id"), **window))
        .filter(previous_count=previous, amount__gt=F("previous_mean") * Value(Decimal(str(ratio))))
        .values_list("pk", "retailer_id", "ordered_on", "amount", "previous_mean")
        .order_by()
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["order_id", "retailer_id", "ordered_on", "amount", "previous_mean"]
    )
    frame = frame[frame["ordered_on"] >= since] if len(frame) else frame
    return frame.astype({"amount": float, "previous_mean": float})


def orders_while_unlicensed_or_closed(*, since: datetime.date, until: datetime.date) -> pd.DataFrame:
    """Orders of [since, until] placed after the shop's licence expired, or by a closed shop."""
    rows = (
        Order.objects.filter(ordered_on__gte=since, ordered_on__lte=until)
        .filter(Q(ordered_on__gt=F("retailer__license_expires_on")) | Q(retailer__status="closed"))
        .values_list("pk", "retailer_id", "ordered_on", "amount", "retailer__license_expires_on", "retailer__status")
        .order_by()
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["order_id", "retailer_id", "ordered_on", "amount", "license_expires_on", "status"]
    )
    return frame.astype({"amount": float})


def compliance_finding_counts(*, since: datetime.date, minimum: int) -> pd.DataFrame:
    """Shops with at least `minimum` compliance findings found on or after `since`: their count,
    first and last date, and how many kinds."""
    rows = (
        ComplianceRecord.objects.filter(found_on__gte=since)
        .values("retailer_id")
        .annotate(n=Count("id"), first=Min("found_on"), last=Max("found_on"), kinds=Count("kind", distinct=True))
        .filter(n__gte=minimum)
        .values_list("retailer_id", "n", "first", "last", "kinds")
        .order_by()
    )
    return pd.DataFrame.from_records(list(rows), columns=["retailer_id", "count", "first", "last", "kinds"])


def scarce_or_high_end_cartons(*, since: datetime.date, until: datetime.date) -> pd.DataFrame:
    """Cartons of scarce or high-end products per shop over [since, until], from the order lines."""
    rows = (
        OrderLine.objects.filter(order__ordered_on__gte=since, order__ordered_on__lte=until)
        .filter(Q(product__is_scarce=True) | Q(product__is_high_end=True))
        .values("order__retailer_id")
        .annotate(cartons=Sum("quantity"))
        .values_list("order__retailer_id", "cartons")
        .order_by()
    )
    return pd.DataFrame.from_records(list(rows), columns=["retailer_id", "cartons"]).astype({"cartons": float})


def regions_visible_to(user) -> QuerySet[Region]:
    """The regions holding at least one service area the user may see, by name."""
    return Region.objects.filter(pk__in=service_areas_visible_to(user).values("region_id")).order_by("name", "pk")
# ------------------------------------------------------------------ for analytics' set-based refresh


def order_headers_for_summaries() -> QuerySet[Order]:
    """Every order header with its stored totals, for analytics' set-based summaries (analytics
    narrows it by id or date and groups it in SQL; no row is loaded into Python)."""
    return Order.objects.order_by()


def order_lines_for_summaries() -> QuerySet[OrderLine]:
    """Every order line, for analytics' brand and price-class summaries (grouped in SQL)."""
    return OrderLine.objects.order_by()


def retailers_for_summaries() -> QuerySet[Retailer]:
    """Every shop, whatever its status, for analytics' per-shop tables (grouped in SQL)."""
    return Retailer.objects.order_by()


def products_for_summaries() -> QuerySet[Product]:
    """Every product (brand, price class), for analytics' brand and price-class summaries."""
    return Product.objects.order_by()

