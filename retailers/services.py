"""Writes on retailer master data. Views, imports, tasks and tests all come through here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.bulk import insert_rows
from retailers.models import ChangeSource, Order, Retailer, RetailerMerge

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


@transaction.atomic
def retailer_create(*, data: dict[str, Any], created_by, source: ChangeSource = ChangeSource.MANAGER) -> Retailer:
    if not created_by.has_perm("retailers.add_retailer"):
        raise PermissionDenied
    retailer = Retailer(**data)
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


def retailers_history_insert(*, ids: list[int] | None, source: ChangeSource, user=None) -> None:
    """Write one '+' history row per retailer, set-based (bulk loads bypass save()): for the given
    ids, in chunks, or for every retailer when ids is None."""
    from retailers.models import HistoricalRetailer

    tracked = [
        f.attname for f in HistoricalRetailer._meta.fields if f.attname in {g.attname for g in Retailer._meta.fields}
    ]
    columns = ", ".join(connection.ops.quote_name(name) for name in tracked)
    insert = (
        f"INSERT INTO {HistoricalRetailer._meta.db_table} ({columns}, history_date, history_type, change_source, "  # noqa: S608
        f"history_user_id) SELECT {columns}, %s, '+', %s, %s FROM {Retailer._meta.db_table}"
    )
    params = [timezone.now(), source, getattr(user, "pk", None)]
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(insert, params)
            return
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            cursor.execute(f"{insert} WHERE id IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])


def _insert_new_retailers(retailers: list[Retailer]) -> list[int]:
    """Insert unsaved retailers set-based (executemany / COPY) and return their new ids."""
    now = timezone.now()
    fields = [f for f in Retailer._meta.concrete_fields if not f.primary_key]
    for retailer in retailers:
        retailer.created_at = retailer.updated_at = now
        retailer.fill_derived_fields()
        if not isinstance(retailer.tier, str):  # the database default, not yet a value
            retailer.tier = ""
    rows = ([f.get_db_prep_save(getattr(r, f.attname), connection) for f in fields] for r in retailers)
    insert_rows(Retailer._meta.db_table, [f.column for f in fields], rows)
    licences = [retailer.license_no for retailer in retailers]
    ids: list[int] = []
    for start in range(0, len(licences), 5000):
        ids += Retailer.objects.filter(license_no__in=licences[start : start + 5000]).values_list("pk", flat=True)
    return ids


class ImportHasErrors(Exception):
    """An all-or-nothing import met invalid rows: nothing was written."""


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    skipped: int
    touched_ids: list[int]


@transaction.atomic
def retailer_import_apply(*, results: list, imported_by, skip_invalid: bool = False) -> ImportOutcome:
    """Carry out a checked plan (retailers.imports.check_rows + plan_changes) in one transaction:
    all or nothing by default; with skip_invalid, exactly the rows with errors are left out.
    History rows are written in bulk with the source "import"."""
    from simple_history.utils import bulk_update_with_history

    invalid = [result for result in results if result.errors]
    if invalid and not skip_invalid:
        raise ImportHasErrors(len(invalid))
    history = {"default_user": imported_by, "custom_historical_attrs": {"change_source": ChangeSource.IMPORT}}
    creates = [
        Retailer(**{("service_area_id" if k == "service_area" else k): v for k, v in result.values.items()})
        for result in results
        if result.action == "create"
    ]
    created_ids = _insert_new_retailers(creates) if creates else []
    retailers_history_insert(ids=created_ids, source=ChangeSource.IMPORT, user=imported_by)
    updates = {result.values["pk"]: result for result in results if result.action == "update"}
    changed_fields: set[str] = set()
    objects = Retailer.objects.in_bulk(list(updates))
    for pk, result in updates.items():
        retailer = objects[pk]
        for name, (_old, new) in result.changes.items():
            setattr(retailer, "service_area_id" if name == "service_area" else name, new)
            changed_fields.add("service_area" if name == "service_area" else name)
        retailer.fill_derived_fields()
    if updates:
        fields = sorted(changed_fields | set(DERIVED_FIELDS) - {"updated_at"})
        bulk_update_with_history(list(objects.values()), Retailer, fields=fields, batch_size=2000, **history)
    return ImportOutcome(
        created=len(created_ids),
        updated=len(updates),
        unchanged=sum(result.action == "unchanged" for result in results),
        skipped=len(invalid),
        touched_ids=[*created_ids, *updates],
    )
