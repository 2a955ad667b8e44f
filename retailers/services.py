"""Writes on retailer master data. Views, imports, tasks and tests all come through here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.bulk import db_form, delete_where_in, history_insert, insert_frame, update_frame, with_defaults
from retailers.imports import CheckedSheet
from retailers.merge_steps import run_merge_steps
from retailers.models import (
    LOW_TAR_MG,
    ChangeSource,
    ComplianceRecord,
    Order,
    OrderLine,
    Product,
    Retailer,
    RetailerDistinctPair,
    RetailerMerge,
)
from retailers.pinyin import pinyin_keys
from retailers.selectors import account_manager_choices

# Who may change which fields of a dossier. Tier and stars belong to the grading app.
STRUCTURAL_FIELDS = (
    "license_no",
    "license_issued_on",
    "license_expires_on",
    "service_area",
    "account_manager",
    "status",
)
PROFILE_FIELDS = (
    "name",
    "owner_name",
    "phone",
    "phone_alt",
    "address",
    "latitude",
    "longitude",
    "credit_code",
    "business_type",
    "market_type",
    "zone_type",
    "order_weekday",
    "delivery_route",
    "credit_level",
    "partner_since",
)
PERSONAL_CARD_FIELDS = (
    "birthday",
    "hobbies",
    "family_notes",
    "circle_contacts",
    "preferred_channel",
    "referred_by",
    "notes",
)


def retailer_editable_fields(*, user) -> tuple[str, ...]:
    """The dossier fields a user may write, in form order."""
    fields: tuple[str, ...] = ()
    if user.has_perm("retailers.change_retailer_structure"):
        fields += STRUCTURAL_FIELDS
    if user.has_perm("retailers.change_retailer"):
        fields += PROFILE_FIELDS
    if user.has_perm("retailers.change_retailer_personal_card"):
        fields += PERSONAL_CARD_FIELDS
    return fields


# Written by Retailer.save from the fields above, so saved alongside them.
DERIVED_FIELDS = ("name_pinyin", "name_initials", "owner_pinyin", "owner_initials", "updated_at")


def _save_with_history(retailer: Retailer, *, user, source: ChangeSource) -> None:
    retailer.full_clean()
    retailer._change_source = source
    retailer._history_user = user
    retailer.save()


def _check_account_manager(retailer: Retailer) -> None:
    """A shop's account manager is a sales manager of its service area: a manager of another
    area (or region) would hold a shop that none of its area's managers sees any more."""
    manager = retailer.account_manager
    if manager is None or account_manager_choices(areas=[retailer.service_area]).filter(pk=manager.pk).exists():
        return
    raise ValidationError(
        {
            "account_manager": _(
                "Account manager: %(manager)s is not a sales manager of the service area %(area)s; "
                "choose one of its managers."
            )
            % {"manager": manager, "area": retailer.service_area}
        }
    )


@transaction.atomic
def retailer_create(*, data: dict[str, Any], created_by, source: ChangeSource = ChangeSource.MANAGER) -> Retailer:
    if not created_by.has_perm("retailers.add_retailer"):
        raise PermissionDenied
    retailer = Retailer(**data)
    if retailer.service_area_id:
        _check_account_manager(retailer)
    _save_with_history(retailer, user=created_by, source=source)
    return retailer


@transaction.atomic
def retailer_update(
    *, retailer: Retailer, data: dict[str, Any], changed_by, source: ChangeSource = ChangeSource.MANAGER
) -> Retailer:
    """Change a dossier. Fields the user may not write are refused, not silently dropped. Only the
    given fields (and what derives from them) are written, on a freshly locked row, so a
    concurrent edit of other fields or a grading run's new tier is never overwritten."""
    refused = set(data) - set(retailer_editable_fields(user=changed_by))
    if refused:
        raise PermissionDenied(f"not allowed to change: {', '.join(sorted(refused))}")
    locked = Retailer.objects.select_for_update().get(pk=retailer.pk)
    for field, value in data.items():
        setattr(locked, field, value)
    if {"account_manager", "service_area"} & set(data):
        _check_account_manager(locked)
    locked.full_clean()
    locked._change_source = source
    locked._history_user = changed_by
    locked.save(update_fields=[*data, *DERIVED_FIELDS])
    return locked


@transaction.atomic
def retailer_refresh_last_order(*, retailer_ids: list[int] | None = None) -> int:
    """Recompute the stored last order date, set-based; returns the number of shops updated."""
    from django.db.models import OuterRef, Subquery

    shops = Retailer.objects.all() if retailer_ids is None else Retailer.objects.filter(pk__in=retailer_ids)
    latest = Order.objects.filter(retailer=OuterRef("pk")).values("retailer").annotate(last=Max("ordered_on"))
    return shops.update(last_order_on=Subquery(latest.values("last")))


def _plain(values: dict) -> dict:
    return {key: (str(value) if value is not None else None) for key, value in values.items()}


def _rows_clashing_with_survivor(model, field: str, *, survivor: Retailer, duplicate: Retailer):
    """The duplicate's rows that a unique constraint would refuse once they point at the survivor."""
    from django.db.models import Exists, OuterRef, Q, UniqueConstraint

    clashing = Q(pk__in=[])
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or field not in constraint.fields:
            continue
        others = [name for name in constraint.fields if name != field]
        twins = model._base_manager.filter(**{field: survivor}, **{name: OuterRef(name) for name in others})
        if constraint.condition is not None:
            twins = twins.filter(constraint.condition)
            clashing |= Q(Exists(twins)) & constraint.condition
        else:
            clashing |= Q(Exists(twins))
    if clashing == Q(pk__in=[]):
        return None
    return model._base_manager.filter(Q(**{field: duplicate}) & clashing)


@dataclass(frozen=True)
class MergeResult:
    merge: RetailerMerge
    moved: dict[str, int]


@transaction.atomic
def retailer_merge(*, survivor: Retailer, duplicate: Retailer, merged_by, reason: str) -> MergeResult:
    """Fold a duplicate dossier into the surviving one.

    Every row that points at the duplicate (orders, compliance records, earlier merges, and
    whatever later apps add: tickets, visits, points…) is moved to the survivor; a RetailerMerge
    keeps a full snapshot of the duplicate, and only then is it deleted. Its history rows stay
    under its old id and the survivor's dossier shows them through the merge record.
    """
    if not merged_by.has_perm("retailers.merge_retailers"):
        raise PermissionDenied
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("A dossier cannot be merged into itself.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the merge.")})
    survivor = Retailer.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Retailer.objects.select_for_update().get(pk=duplicate.pk)
    run_merge_steps(survivor=survivor, duplicate=duplicate)  # other apps' rows the move below cannot take

    moved: dict[str, int] = {}
    dropped: dict[str, list] = {}
    for relation in Retailer._meta.related_objects:
        if relation.many_to_many:
            continue
        model, field = relation.related_model, relation.field.name
        clashing = _rows_clashing_with_survivor(model, field, survivor=survivor, duplicate=duplicate)
        if clashing is not None and clashing.exists():
            # The survivor already has its own row for the same key (a grade of the same run, a live
            # override): the duplicate's row is kept in the merge snapshot, not moved.
            dropped[model._meta.label] = [_plain(model_to_dict(row)) for row in clashing]
            clashing.delete()
        related = model._base_manager.filter(**{field: duplicate})
        moved[model._meta.label] = related.update(**{field: survivor})

    snapshot = _plain(model_to_dict(duplicate))
    if dropped:
        snapshot["rows_kept_only_here"] = dropped
    merge = RetailerMerge.objects.create(
        survivor=survivor,
        merged_retailer_id=duplicate.pk,
        merged_license_no=duplicate.license_no,
        merged_name=duplicate.name,
        snapshot=snapshot,
        moved=moved,
        reason=reason.strip(),
        merged_by=merged_by,
    )
    duplicate._change_source = ChangeSource.SYSTEM
    duplicate._history_user = merged_by
    duplicate.delete()
    retailer_refresh_last_order(retailer_ids=[survivor.pk])
    return MergeResult(merge=merge, moved=moved)


@transaction.atomic
def retailer_pair_mark_distinct(*, first: Retailer, second: Retailer, decided_by) -> RetailerDistinctPair:
    """Record that two dossiers are different shops, so they are not offered as duplicates again
    (who decided and when are kept). Marking a pair twice keeps the first decision."""
    if not decided_by.has_perm("retailers.merge_retailers"):
        raise PermissionDenied
    if first.pk == second.pk:
        raise ValidationError({"second": _("Choose two different dossiers.")})
    low, high = sorted((first, second), key=lambda retailer: retailer.pk)
    pair, _created = RetailerDistinctPair.objects.get_or_create(
        first=low, second=high, defaults={"decided_by": decided_by}
    )
    return pair


class ImportHasErrors(Exception):
    """An all-or-nothing import met invalid rows: nothing was written."""


@dataclass(frozen=True)
class ImportOutcome:
    created: int  # records: shops, products, orders or findings
    updated: int
    unchanged: int
    skipped: int  # rows left out (exactly the rows of the error report)
    touched_ids: list[int]  # the retailers (products, for a product sheet) created or changed


@transaction.atomic
def import_apply(*, checked: CheckedSheet, imported_by, skip_invalid: bool = False) -> ImportOutcome:
    """Carry out a checked sheet (retailers.imports.import_check) in one transaction: all or
    nothing by default; with skip_invalid, exactly the rows with errors are left out. Writes are
    set-based (COPY on PostgreSQL), with history rows where the model keeps history."""
    invalid = int((~checked.valid).sum())
    if invalid and not skip_invalid:
        raise ImportHasErrors(invalid)
    writers = {
        "retailers": _import_retailers,
        "products": _import_products,
        "orders": _import_orders,
        "compliance": _import_compliance,
    }
    touched = writers[checked.kind.key](checked, imported_by, timezone.now())
    return ImportOutcome(
        created=checked.records("create"),
        updated=checked.records("update"),
        unchanged=checked.records("unchanged"),
        skipped=invalid,
        touched_ids=touched,
    )


def _rows(checked: CheckedSheet, action: str) -> pd.DataFrame:
    return checked.values[checked.action == action]


WRITE_BATCH = 20_000  # rows converted and written at a time: memory stays bounded


def _insert_new(model, frame: pd.DataFrame, *, key: str | None, now, derive=lambda frame: frame) -> dict:
    """Insert the rows (each batch completed with the model's defaults) and return key -> new id
    (nothing when no key is given). The new ids are read back by one range scan on the primary key
    above the largest id before."""
    before = model._base_manager.aggregate(largest=Max("pk"))["largest"] or 0
    for start in range(0, len(frame), WRITE_BATCH):
        batch = derive(frame.iloc[start : start + WRITE_BATCH])
        insert_frame(model._meta.db_table, db_form(model, with_defaults(model, batch, now=now)))
    if key is None:
        return {}
    wanted = set(frame[key])
    return {
        value: pk
        for value, pk in model._base_manager.filter(pk__gt=before).values_list(key, "pk").iterator(chunk_size=20_000)
        if value in wanted
    }


def _update_existing(model, frame: pd.DataFrame, *, now, derive=lambda frame: frame) -> None:
    """Update the rows (an `id` column names each record; a NULL cell keeps the present value)."""
    stamped = any(field.attname == "updated_at" for field in model._meta.concrete_fields)
    for start in range(0, len(frame), WRITE_BATCH):
        batch = derive(frame.iloc[start : start + WRITE_BATCH])
        if stamped:
            batch = batch.assign(updated_at=now)
        update_frame(model._meta.db_table, db_form(model, batch))


def _upsert(
    checked: CheckedSheet, *, model, key: str, imported_by, now, derive=lambda frame: frame, history: dict
) -> list[int]:
    """Insert the create rows and update the update rows of a sheet whose columns are the model's
    fields, with a history row for each; returns the ids created and changed."""
    new = _rows(checked, "create")
    created_ids = list(_insert_new(model, new, key=key, now=now, derive=derive).values()) if len(new) else []
    updated_ids = checked.pk[checked.action == "update"].astype("int64").tolist()
    if updated_ids:
        _update_existing(
            model, _rows(checked, "update").drop(columns=[key]).assign(id=updated_ids), now=now, derive=derive
        )
    history_insert(model, ids=created_ids, history_type="+", user=imported_by, **history)
    history_insert(model, ids=updated_ids, history_type="~", user=imported_by, **history)
    return created_ids + updated_ids


def _retailer_search_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The pinyin search keys that Retailer.save derives, for the rows that give a name or owner."""
    out = frame.copy()
    for source, full, initials in (
        ("name", "name_pinyin", "name_initials"),
        ("owner_name", "owner_pinyin", "owner_initials"),
    ):
        if source in out:
            keys = out[source].map(lambda text: pinyin_keys(text) if text else (None, None))
            out[full], out[initials] = keys.str[0], keys.str[1]
    return out


def _import_retailers(checked: CheckedSheet, imported_by, now) -> list[int]:
    return _upsert(
        checked, model=Retailer, key="license_no", imported_by=imported_by, now=now,
        derive=_retailer_search_keys, history={"change_source": ChangeSource.IMPORT},
    )  # fmt: skip


def _import_products(checked: CheckedSheet, imported_by, now) -> list[int]:
    return _upsert(checked, model=Product, key="code", imported_by=imported_by, now=now, history={})


def _money(cents: pd.Series) -> pd.Series:
    """Yuan as text from whole cents, formatted once per distinct amount (prices and line amounts
    repeat; formatting a million floats for COPY took 3.5 s)."""
    cents = cents.astype("int64")
    return cents.map({value: f"{value // 100}.{value % 100:02d}" for value in cents.unique().tolist()})


def _import_orders(checked: CheckedSheet, imported_by, now) -> list[int]:
    """New orders get their header and lines; a changed order gets its lines replaced. Totals
    (amount, cartons, high-end amount, low-tar cartons, lines, brands) are summed here, in cents,
    the way the order header stores them."""
    work = checked.values.assign(group=checked.group, action=checked.action, pk=checked.pk)
    work = work[work["action"].isin(["create", "update"])]
    if work.empty:
        return []
    products = pd.DataFrame.from_records(
        list(Product.objects.values_list("pk", "brand", "is_high_end", "tar_mg")),
        columns=["pk", "brand", "high_end", "tar"],
    ).set_index("pk")
    quantity = work["quantity"].astype("int64")
    price_cents = work["unit_price"].map({price: int(price * 100) for price in work["unit_price"].unique()})
    amount_cents = quantity * price_cents.astype("int64")
    product = work["product"].astype("int64")
    lines = pd.DataFrame(
        {
            "group": work["group"],
            "amount": amount_cents,
            "quantity": quantity,
            "high_end": amount_cents * product.map(products["high_end"]).astype("int64"),
            "low_tar": quantity * (product.map(products["tar"]) <= LOW_TAR_MG).astype("int64"),
            "brand": product.map(products["brand"]),
        }
    )
    totals = lines.groupby("group", sort=False).agg(
        amount=("amount", "sum"), cartons=("quantity", "sum"), high_end_amount=("high_end", "sum"),
        low_tar_cartons=("low_tar", "sum"), line_count=("amount", "size"), brand_count=("brand", "nunique"),
    )  # fmt: skip
    heads = work.groupby("group", sort=False)[["order_no", "retailer", "ordered_on", "pk"]].first()
    heads = heads.join(totals)
    heads["amount"], heads["high_end_amount"] = _money(heads["amount"]), _money(heads["high_end_amount"])
    heads = heads.rename(columns={"retailer": "retailer_id"})
    heads["retailer_id"] = heads["retailer_id"].astype("int64")
    unnumbered = heads["order_no"].isna()
    heads.loc[unnumbered, "order_no"] = (
        "IM" + heads.loc[unnumbered, "ordered_on"].map(lambda day: day.strftime("%Y%m%d"))
        + heads.loc[unnumbered, "retailer_id"].astype(str).str.zfill(8)
    )  # fmt: skip
    header_columns = ["order_no", "retailer_id", "ordered_on", *totals.columns]
    new = heads[heads["pk"].isna()]
    order_ids = heads["pk"].copy()
    if len(new):
        numbers = _insert_new(Order, new[header_columns], key="order_no", now=now)
        order_ids[new.index] = new["order_no"].map(numbers)
    changed = heads[heads["pk"].notna()]
    if len(changed):
        ids = changed["pk"].astype("int64")
        delete_where_in(OrderLine._meta.db_table, "order_id", ids.tolist())
        _update_existing(Order, changed[header_columns[1:]].assign(id=ids.to_numpy()), now=now)
    line_rows = pd.DataFrame(
        {
            "order_id": work["group"].map(order_ids).astype("int64"),
            "product_id": product,
            "quantity": quantity,
            "unit_price": _money(price_cents),
            "amount": _money(amount_cents),
        }
    )
    insert_frame(OrderLine._meta.db_table, line_rows)
    shops = heads["retailer_id"].unique().tolist()
    for start in range(0, len(shops), 5000):
        retailer_refresh_last_order(retailer_ids=shops[start : start + 5000])
    return shops


def _import_compliance(checked: CheckedSheet, imported_by, now) -> list[int]:
    frame = checked.values.rename(columns={"retailer": "retailer_id"})
    new = frame[checked.action == "create"]
    if len(new):
        _insert_new(ComplianceRecord, new, key=None, now=now)
    kept = [name for name in ("severity", "source_department", "notes") if name in frame]  # an absent column is kept
    changed = frame[checked.action == "update"][kept]
    if len(changed):
        ids = checked.pk[checked.action == "update"].astype("int64").to_numpy()
        _update_existing(ComplianceRecord, changed.assign(id=ids), now=now)
    return frame["retailer_id"][checked.action.isin(["create", "update"])].astype("int64").unique().tolist()
