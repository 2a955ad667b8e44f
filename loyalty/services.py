"""The points ledger's writes: earning (set-based, idempotent), corrections, expiry and its
warnings, redemptions, manual adjustments and the reconciliation.

Every change of a balance is made in the transaction that writes its entry: either one conditional
UPDATE next to one entry (redemption, refund, adjustment) or, for a batch, one INSERT ... SELECT of
the entries followed by one UPDATE of the balances from the sums of the rows just inserted."""

# The SQL here is built from table names and constants only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.bulk import indexes_deferred, statistics_refresh, vacuumed
from crm_site.models import User
from crm_site.notifications import notifications_send
from grading.selectors import service_policy_for
from loyalty import ledger_sql as sql
from loyalty.messages import POINTS_EXPIRING
from loyalty.models import (
    ORDER_KINDS,
    EarnRule,
    EntryKind,
    ExpiryWarning,
    PointsAccount,
    PointsEntry,
    PointsPolicy,
    Redemption,
    RedemptionStatus,
    RedemptionStatusChange,
    RemovedOrder,
    Reward,
    RuleKind,
    Watermark,
)
from retailers.models import Retailer, Tier
from retailers.selectors import retailers_visible_to
from visits.selectors import survey_answers_for_points, visit_feedback_for_points

logger = logging.getLogger(__name__)
BATCH = 1000


class LoyaltyError(Exception):
    """A redemption or adjustment the rules refuse; the message says why, for the user."""


def points_policy() -> PointsPolicy:
    return PointsPolicy.objects.get_or_create(pk=1)[0]


def _multipliers() -> dict[str, Decimal]:
    """Each tier's points multiplier (grading's service policy); "" (not graded yet) is ordinary."""
    return {tier: service_policy_for(tier).points_multiplier for tier in ("", *Tier.values)}


def _lock(name: str) -> Watermark:
    """The puller's watermark, locked for the transaction (two runs of one puller never overlap)."""
    Watermark.objects.get_or_create(name=name)
    return Watermark.objects.select_for_update().get(name=name)


def _last_entry_id() -> int:
    return PointsEntry.objects.aggregate(last=Max("pk"))["last"] or 0


def _apply_new_entries(*, after_id: int, kinds: Iterable[str]) -> int:
    """One UPDATE of the balances from the entries of `kinds` inserted after entry `after_id` (in
    this transaction: each writer of these kinds holds its watermark's lock). Returns the number of
    accounts changed."""
    params = {"now": sql.time_param(timezone.now()), "after": after_id}
    # `kind || ''`: the new entries are a range of ids; SQLite would otherwise read them through
    # the unique key's kinds, i.e. every earning of the year (8 s a night at 300,000 shops).
    new = f"SELECT account_id, points FROM {sql.ENTRY} WHERE id > %(after)s AND kind || '' IN ({sql.kinds_sql(kinds)})"
    with sql.totals_per_account(new, params) as totals:
        return sql.run(
            f"""UPDATE {sql.ACCOUNT} SET balance = {sql.ACCOUNT}.balance + s.total, updated_at = %(now)s
            FROM {totals} AS s WHERE s.account_id = {sql.ACCOUNT}.id""",
            params,
        )


def points_accounts_open() -> int:
    """Open an account for every shop that has none (one INSERT ... SELECT)."""
    return sql.run(
        f"""INSERT INTO {sql.ACCOUNT} (retailer_id, balance, updated_at)
        SELECT r.id, 0, %(now)s FROM {sql.RETAILER} r
        WHERE NOT EXISTS (SELECT 1 FROM {sql.ACCOUNT} a WHERE a.retailer_id = r.id)""",
        {"now": sql.time_param(timezone.now())},
    )


def points_account_for(*, retailer: Retailer) -> PointsAccount:
    return PointsAccount.objects.get_or_create(retailer=retailer)[0]


def points_accounts_merge(*, survivor: Retailer, duplicate: Retailer) -> int:
    """A dossier merge (retailers.merge_steps) where both shops hold points: the duplicate's
    entries and redemptions move to the survivor's account, whose balance takes the duplicate's,
    and the emptied account goes. The entries keep their points, kind, source, date and expiry
    (the ledger still adds up to the balance); only the account they are filed under changes, as
    the merge moves a shop's orders. A lone account is moved by the merge itself. Returns the
    entries moved."""
    accounts = {
        account.retailer_id: account
        for account in PointsAccount.objects.select_for_update().filter(retailer_id__in=[survivor.pk, duplicate.pk])
    }
    kept, gone = accounts.get(survivor.pk), accounts.get(duplicate.pk)
    if kept is None or gone is None:
        return 0
    # The base manager's plain update: the ledger's own queryset refuses updates to entries.
    moved = PointsEntry._base_manager.filter(account=gone).update(account=kept)
    Redemption.objects.filter(account=gone).update(account=kept)
    PointsAccount.objects.filter(pk=kept.pk).update(balance=F("balance") + gone.balance, updated_at=timezone.now())
    gone.delete()  # its expiry warnings go with it; the next warning run warns the survivor's manager
    return moved


# --- earning from orders ----------------------------------------------------------------------


def points_earn_orders() -> int:
    """Earn for every order not earned for yet (above the watermark): one INSERT ... SELECT of the
    purchase and new-product entries over the orders joined to the rules and the multiplier (a
    source earns once: the unique key on kind and source), then one UPDATE of the balances.
    Returns the number of entries written.

    After a first fill has committed, PostgreSQL vacuums the ledger: the next night's run
    otherwise paid for the 11.6 M fresh entries (each page's hint bits written, the heap read for
    every probe of the unique key): 17.7 s at 300,000 shops, 6.5 s after the VACUUM."""
    written, first_fill = _earn_orders()
    if first_fill:
        vacuumed(PointsEntry, PointsAccount)
    return written


@transaction.atomic
def _earn_orders() -> tuple[int, bool]:
    """points_earn_orders' transaction: the entries written, and whether into an empty ledger."""
    mark = _lock("orders")
    last_order = sql.fetch(f"SELECT COALESCE(MAX(id), 0) FROM {sql.ORDER}")[0][0]
    if last_order <= mark.last_id:
        return 0, False
    points_accounts_open()
    policy, after_id = points_policy(), _last_entry_id()
    scope = "{o}.id > %(after)s AND {o}.id <= %(upto)s"
    params = {"after": mark.last_id, "upto": last_order, "now": sql.time_param(timezone.now())}
    # From an empty ledger (the first run over a year of orders) the statement and user indexes, and
    # on PostgreSQL the unique key, are built once at the end rather than row by row (adding the
    # unique key proves that nothing earned twice). SQLite keeps its unique key, part of its table:
    # the entries come in its order, so it only grows at its end, and measured no slower than
    # building it afterwards.
    if not after_id:
        sql.memory_for_big_statements()
    deferred = indexes_deferred(PointsEntry, unique_keys=True) if not after_id else contextlib.nullcontext()
    with deferred, _rate_tables(policy):
        written = _insert_order_earnings(scope=scope, params=params, first=not after_id)
    _apply_new_entries(after_id=after_id, kinds=(EntryKind.PURCHASE, EntryKind.NEW_PRODUCT))
    mark.last_id, mark.ran_on = last_order, timezone.localdate()
    mark.save()
    return written, not after_id


LINE_POINTS, SHOPS, DAYS, PRODUCT_DAYS = (
    "loyalty_line_points",
    "loyalty_shop_points",
    "loyalty_day_points",
    "loyalty_product_day_points",
)


@contextlib.contextmanager
def _rate_tables(policy: PointsPolicy, *, shops: bool = True):
    """Small temporary tables for the statements that earn from orders: each shop's account and
    multiplier (one probe per order into 300,000 compact rows rather than two into the shop and
    account tables; left out for a statement over a few orders), each day's general rate and expiry
    and each product's extra and bonus per day (from the first to the last order date: a probe per
    order or line instead of the rules' validity and a date computation per row), and an empty one
    for the lines' points per order."""
    key = sql.key_column()
    # Two subqueries: SQLite reads a lone MIN or MAX off the date index, but MIN and MAX together
    # from every order (3 s at 300,000 shops).
    first_day, last_day = sql.fetch(
        f"SELECT (SELECT MIN(ordered_on) FROM {sql.ORDER}), (SELECT MAX(ordered_on) FROM {sql.ORDER})"
    )[0]
    temporary = {
        SHOPS: (f"retailer_id {key}, account_id BIGINT, multiplier NUMERIC", sql.shops_sql(_multipliers())),
        DAYS: ("day DATE PRIMARY KEY, rate NUMERIC, expires_on DATE", sql.days_sql(policy)),
        PRODUCT_DAYS: (
            "product_id BIGINT, day DATE, extra NUMERIC, bonus NUMERIC, PRIMARY KEY (product_id, day)",
            sql.product_days_sql(days=DAYS),
        ),
        LINE_POINTS: (f"order_id {key}, extra NUMERIC, bonus NUMERIC", None),
    }
    if not shops:
        del temporary[SHOPS]
    for table, (columns, query) in temporary.items():
        sql.run(f"DROP TABLE IF EXISTS {table}")
        sql.run(f"CREATE TEMPORARY TABLE {table} ({columns})")
        if query and first_day is not None:
            sql.run(f"INSERT INTO {table} {query}", {"first_day": first_day, "last_day": last_day})
            statistics_refresh(table)
    yield
    for table in temporary:
        sql.run(f"DROP TABLE {table}")


def _insert_order_earnings(*, scope: str, params: dict, first: bool) -> int:
    """The lines that earn something of their own read once (per order: class extra and
    new-product bonus; none at all when no product earns so), then one INSERT ... SELECT of the
    purchase entries over the orders, and one of the new-product entries over the orders that have
    a bonus. A `first` run (a year of orders, empty ledger) reads the lines of the products that
    earn through the product index, a nightly run the lines of its new orders."""
    if sql.fetch(f"SELECT COUNT(*) FROM (SELECT 1 FROM {PRODUCT_DAYS} LIMIT 1) pd")[0][0]:
        lines = sql.line_points_sql(scope, product_days=PRODUCT_DAYS, by_product=first)
        sql.run(f"INSERT INTO {LINE_POINTS} (order_id, extra, bonus) {lines}", params)
        statistics_refresh(LINE_POINTS)
    # Into an empty ledger (under the orders' lock) nothing can conflict: a plain INSERT, which
    # PostgreSQL writes without a speculative probe of the unique key per row; should anything
    # conflict all the same, the unique key refuses the whole run (as it is added back, there).
    conflicts = "" if first else "ON CONFLICT DO NOTHING"
    written = 0
    for kind in (EntryKind.PURCHASE, EntryKind.NEW_PRODUCT):
        orders = sql.order_points_sql(
            scope, lines=LINE_POINTS, shops=SHOPS, days=DAYS, lines_only=kind == EntryKind.NEW_PRODUCT
        )
        written += sql.run(
            f"""INSERT INTO {sql.ENTRY} ({sql.ENTRY_COLUMNS})
            SELECT op.account_id, '{kind}', op.{kind}, op.order_id, 0, op.ordered_on, op.expires_on, op.amount, '',
              %(now)s
            FROM ({orders}) op
            WHERE op.{kind} > 0
            {conflicts}""",
            params,
        )
    return written


def points_order_removed(*, order_id: int) -> None:
    """Note that an order was deleted, in the deleting transaction (retailers' post_delete, through
    loyalty.signals): the next corrections reverse whatever it earned."""
    RemovedOrder.objects.bulk_create([RemovedOrder(order_id=order_id)], ignore_conflicts=True)


@transaction.atomic
def points_correct_orders(*, since: datetime.date | None = None) -> int:
    """Correct the earnings of orders changed or deleted since they earned: for each order changed
    (its `updated_at`) or deleted (a RemovedOrder) on or after `since` (default: the policy's
    correction window), with entries booked on or after that day, whose amount is no longer the one
    its last entry was computed from, or that no longer exists, one correction entry of what it
    would earn now minus what it earned. Only those orders are read (an index on the orders'
    change time), not the weeks of entries of the window. A reversal never makes a balance
    negative: it takes at most what the account holds (the rest is forgone). Returns the entries
    written."""
    mark = _lock("orders")
    policy = points_policy()
    if since is None:
        since = timezone.localdate() - datetime.timedelta(days=policy.correction_days)
    window_start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    after_id = _last_entry_id()
    params = {
        "since": sql.day_param(since),
        "window_start": sql.time_param(window_start),
        "now": sql.time_param(timezone.now()),
    }
    with _rate_tables(policy, shops=False):
        written = sql.run(_corrections_sql(policy), params)
    _apply_new_entries(after_id=after_id, kinds=(EntryKind.CORRECTION,))
    # A deleted order older than the window is never corrected: its note is no longer needed.
    RemovedOrder.objects.filter(removed_at__lt=window_start).delete()
    mark.save()
    return written


def _corrections_sql(policy: PointsPolicy) -> str:
    """The one INSERT ... SELECT of points_correct_orders (parameters since, window_start, now)."""
    changed = "{o}.id IN (SELECT order_id FROM changed)"
    lines = f"({sql.line_points_sql(changed, product_days=PRODUCT_DAYS, by_product=False)})"
    shops = f"({sql.shops_sql(_multipliers())})"  # probed for a few orders: no table of 300,000 shops
    now_points = sql.order_points_sql(changed, lines=lines, shops=shops, days=DAYS)
    debt_through = (
        "SUM(CASE WHEN d.diff < 0 THEN -d.diff ELSE 0 END) OVER (PARTITION BY d.account_id ORDER BY d.order_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    )
    order_kinds = sql.kinds_sql(ORDER_KINDS)
    return f"""INSERT INTO {sql.ENTRY} ({sql.ENTRY_COLUMNS})
        WITH touched AS (
          SELECT o.id AS order_id FROM {sql.ORDER} o WHERE o.updated_at >= %(window_start)s
          UNION SELECT r.order_id FROM {RemovedOrder._meta.db_table} r WHERE r.removed_at >= %(window_start)s
        ), earned AS (
          SELECT e.source_id AS order_id, e.account_id, SUM(e.points) AS points, MAX(e.id) AS last_id,
            MIN(e.booked_on) AS booked_on, SUM(CASE WHEN e.kind = '{EntryKind.CORRECTION}' THEN 1 ELSE 0 END) AS n
          FROM {sql.ENTRY} e
          WHERE e.kind IN ({order_kinds}) AND e.source_id IN (SELECT order_id FROM touched) AND e.booked_on >= %(since)s
          GROUP BY e.source_id, e.account_id
        ), changed AS (
          SELECT earned.* FROM earned
          JOIN {sql.ENTRY} last ON last.id = earned.last_id
          LEFT JOIN {sql.ORDER} o ON o.id = earned.order_id
          WHERE o.id IS NULL OR o.amount <> last.basis
        ), now_points AS ({now_points}), diffs AS (
          SELECT c.order_id, c.account_id, c.booked_on, c.n,
            COALESCE(np.purchase + np.new_product, 0) - c.points AS diff, COALESCE(np.amount, 0) AS basis
          FROM changed c LEFT JOIN now_points np ON np.order_id = c.order_id
        ), clamped AS (
          SELECT d.*, CASE WHEN d.diff > 0 THEN d.diff ELSE
            -{sql.least("-d.diff", sql.greatest("0", f"a.balance - ({debt_through} + d.diff)"))} END AS points
          FROM diffs d JOIN {sql.ACCOUNT} a ON a.id = d.account_id WHERE d.diff <> 0
        )
        SELECT account_id, '{EntryKind.CORRECTION}', points, order_id, n + 1, booked_on,
          CASE WHEN points > 0 THEN {sql.expiry_sql("booked_on", policy)} END, basis, '', %(now)s
        FROM clamped WHERE points <> 0
        ON CONFLICT DO NOTHING"""


@transaction.atomic
def points_earn_referrals() -> int:
    """A referral earns the referring shop its bonus once the referred shop's first order is in (one
    INSERT ... SELECT; the referred shop is the source, so it earns once)."""
    mark = _lock("referrals")
    points_accounts_open()
    policy, after_id = points_policy(), _last_entry_id()
    first_orders = (
        f"SELECT o.retailer_id, MIN(o.ordered_on) AS first_on FROM {sql.ORDER} o "
        f"WHERE o.retailer_id IN (SELECT id FROM {sql.RETAILER} WHERE referred_by_id IS NOT NULL) "
        "GROUP BY o.retailer_id"
    )
    points = sql.whole_points(f"r.points * {sql.multiplier_sql('ref', _multipliers())}")
    written = sql.run(
        f"""INSERT INTO {sql.ENTRY} ({sql.ENTRY_COLUMNS})
        SELECT a.id, '{EntryKind.REFERRAL}', {points}, s.id, 0, f.first_on,
          {sql.expiry_sql("f.first_on", policy)}, NULL, '', %(now)s
        FROM {sql.RETAILER} s
        JOIN ({first_orders}) f ON f.retailer_id = s.id
        JOIN {sql.RETAILER} ref ON ref.id = s.referred_by_id
        JOIN {sql.ACCOUNT} a ON a.retailer_id = ref.id
        JOIN {sql.RULE} r ON r.kind = '{RuleKind.REFERRAL}' AND {sql.valid_on("r", "f.first_on")}
        WHERE s.referred_by_id IS NOT NULL AND s.referred_by_id <> s.id AND {points} > 0
        ON CONFLICT DO NOTHING""",
        {"now": sql.time_param(timezone.now())},
    )
    _apply_new_entries(after_id=after_id, kinds=(EntryKind.REFERRAL,))
    mark.save()
    return written


# --- earning from survey answers and visit feedback (pulled from visits in bounded batches) ------


@dataclass(frozen=True)
class _Event:
    source_id: int
    retailer_id: int
    day: datetime.date


def _earn_events(kind: str, rule_kind: str, events: list[_Event]) -> int:
    """Entries for one batch of events (at most BATCH) of one kind at the rule valid on each day
    times the shop's multiplier; conflicts (already earned) are skipped; then the balances."""
    rules = list(EarnRule.objects.filter(kind=rule_kind))
    multipliers, policy = _multipliers(), points_policy()
    retailer_ids = {event.retailer_id for event in events}
    shops = dict(Retailer.objects.filter(pk__in=retailer_ids).values_list("pk", "tier"))
    accounts = dict(PointsAccount.objects.filter(retailer_id__in=retailer_ids).values_list("retailer_id", "pk"))
    now, entries = timezone.now(), []
    for event in events:
        rule = next((r for r in rules if r.valid_from <= event.day and (r.valid_to is None or r.valid_to >= event.day)),
                    None)  # fmt: skip
        points = int(rule.points * multipliers[shops.get(event.retailer_id, "")]) if rule else 0
        if points > 0 and event.retailer_id in accounts:
            entries.append(
                PointsEntry(
                    account_id=accounts[event.retailer_id],
                    kind=kind,
                    points=points,
                    source_id=event.source_id,
                    booked_on=event.day,
                    expires_on=sql.expiry_for(event.day, policy),
                    created_at=now,
                )
            )
    after_id = _last_entry_id()
    PointsEntry.objects.bulk_create(entries, ignore_conflicts=True)
    _apply_new_entries(after_id=after_id, kinds=(kind,))
    return PointsEntry.objects.filter(pk__gt=after_id, kind=kind).count()


def points_earn_surveys(*, batch: int = BATCH) -> int:
    """Earn for the survey answers after the watermark, a batch per transaction."""
    points_accounts_open()
    written = 0
    while True:
        with transaction.atomic():
            mark = _lock("surveys")
            answers = survey_answers_for_points(since_id=mark.last_id, limit=batch)
            if answers:
                events = [_Event(a.response_id, a.retailer_id, timezone.localdate(a.answered_at)) for a in answers]
                written += _earn_events(EntryKind.SURVEY, RuleKind.SURVEY, events)
                mark.last_id = answers[-1].response_id
            mark.ran_on = timezone.localdate()
            mark.save()
        if len(answers) < batch:
            return written


def points_earn_feedback(*, batch: int = BATCH) -> int:
    """Earn for the visits logged with feedback since the day before the last run (a visit is
    planned long before it is logged, so its id is no watermark; the unique key keeps each visit
    from earning twice), a batch per transaction."""
    points_accounts_open()
    written, since_id = 0, 0
    with transaction.atomic():
        mark = _lock("feedback")
        visited_since = mark.ran_on - datetime.timedelta(days=1) if mark.ran_on else None
    while True:
        with transaction.atomic():
            _lock("feedback")
            visits = visit_feedback_for_points(since_id=since_id, limit=batch, visited_since=visited_since)
            if visits:
                events = [_Event(v.visit_id, v.retailer_id, v.visited_on) for v in visits]
                written += _earn_events(EntryKind.FEEDBACK, RuleKind.FEEDBACK, events)
                since_id = visits[-1].visit_id
        if len(visits) < batch:
            break
    Watermark.objects.filter(name="feedback").update(ran_on=timezone.localdate())
    return written


def points_earn() -> dict[str, int]:
    """The nightly earning (also after each order import, and `manage.py earn_points`): new orders,
    corrections of changed ones, referrals, survey answers, visit feedback. Safe to run twice."""
    return {
        "orders": points_earn_orders(),
        "corrections": points_correct_orders(),
        "referrals": points_earn_referrals(),
        "surveys": points_earn_surveys(),
        "feedback": points_earn_feedback(),
    }


# --- expiry -------------------------------------------------------------------------------------


def _expire(*, accounts: str, params: dict, today: datetime.date) -> int:
    """One expire entry per account of `accounts` (an SQL condition on `e`) for what is left of its
    lots that expired before `today`, then the balances. The run's day is the entry's revision, so a
    second run on the same day writes nothing (and the next day finds nothing left to expire)."""
    after_id = _last_entry_id()
    written = sql.run(
        f"""INSERT INTO {sql.ENTRY} ({sql.ENTRY_COLUMNS})
        SELECT lots.account_id, '{EntryKind.EXPIRE}', -SUM(lots.remainder), lots.account_id, %(revision)s,
          %(today)s, NULL, NULL, '', %(now)s
        FROM ({sql.lots_sql(accounts)}) lots
        WHERE lots.expires_on < %(today)s
        GROUP BY lots.account_id HAVING SUM(lots.remainder) > 0
        ON CONFLICT DO NOTHING""",
        {
            **params,
            "today": sql.day_param(today),
            "revision": int(today.strftime("%Y%m%d")),
            "now": sql.time_param(timezone.now()),
        },
    )
    _apply_new_entries(after_id=after_id, kinds=(EntryKind.EXPIRE,))
    return written


@transaction.atomic
def points_expire(*, today: datetime.date | None = None) -> int:
    """The expiry job (beat, and `manage.py expire_points`): the accounts with a lot that expired
    since the last run, or a refund since then (it may give back points of an expired lot)."""
    today = today or timezone.localdate()
    mark = _lock("expiry")
    since = mark.ran_on - datetime.timedelta(days=1) if mark.ran_on else datetime.date.min
    candidates = (
        f"e.account_id IN (SELECT c.account_id FROM {sql.ENTRY} c WHERE "
        f"(c.expires_on >= %(since)s AND c.expires_on < %(today)s) "
        f"OR (c.kind = '{EntryKind.REFUND}' AND c.booked_on >= %(since)s))"
    )
    written = _expire(accounts=candidates, params={"since": sql.day_param(since)}, today=today)
    mark.ran_on = today
    mark.save()
    return written


def points_expire_account(*, account: PointsAccount, today: datetime.date | None = None) -> int:
    """Expire one account's lapsed points at once (before a redemption spends from its oldest lots),
    under the expiry job's lock."""
    _lock("expiry")
    return _expire(accounts="e.account_id = %(account)s", params={"account": account.pk},
                   today=today or timezone.localdate())  # fmt: skip


@transaction.atomic
def points_warn_expiring(*, today: datetime.date | None = None) -> int:
    """Warn the managers of the shops whose points expire within the policy's warning days: a
    warning row per account and expiry day (once: a unique key), and one notification per manager
    for the shops newly warned. Returns the number of shops warned."""
    today = today or timezone.localdate()
    policy = points_policy()
    horizon = today + datetime.timedelta(days=policy.warning_days)
    now, before = timezone.now(), ExpiryWarning.objects.aggregate(last=Max("pk"))["last"] or 0
    candidates = (
        f"e.account_id IN (SELECT c.account_id FROM {sql.ENTRY} c "
        "WHERE c.expires_on >= %(today)s AND c.expires_on <= %(horizon)s)"
    )
    warned = sql.run(
        f"""INSERT INTO {ExpiryWarning._meta.db_table} (account_id, expires_on, points, warned_at)
        SELECT lots.account_id, lots.expires_on, SUM(lots.remainder), %(now)s
        FROM ({sql.lots_sql(candidates)}) lots
        WHERE lots.expires_on >= %(today)s AND lots.expires_on <= %(horizon)s
        GROUP BY lots.account_id, lots.expires_on HAVING SUM(lots.remainder) > 0
        ON CONFLICT DO NOTHING""",
        {"today": sql.day_param(today), "horizon": sql.day_param(horizon), "now": sql.time_param(now)},
    )
    if warned:
        fresh = ExpiryWarning.objects.filter(pk__gt=before).values_list(
            "account__retailer__account_manager", "expires_on"
        )
        by_manager: dict[int, list[datetime.date]] = {}
        for manager_id, expires_on in fresh:
            if manager_id is not None:
                by_manager.setdefault(manager_id, []).append(expires_on)
        for manager in User.objects.filter(pk__in=by_manager):
            days = by_manager[manager.pk]
            notifications_send(
                recipients=[manager],
                text=POINTS_EXPIRING.say(shops=len(days), day=min(days).isoformat()),
                link=reverse("loyalty:index"),
            )
    return warned


# --- redemptions ----------------------------------------------------------------------------------


def redemption_may_approve(*, redemption: Redemption, user) -> bool:
    """Supervisors of the shop's region and admins approve, fulfil and cancel."""
    if not user.has_perm("loyalty.approve_redemption"):
        return False
    return retailers_visible_to(user).filter(pk=redemption.account.retailer_id).exists()


def reward_available_to(*, reward: Reward, retailer: Retailer, today: datetime.date) -> str:
    """Why the shop may not redeem the reward today ("" if it may)."""
    if reward.valid_from > today or (reward.valid_to and reward.valid_to < today):
        return _("This reward is not offered today.")
    if reward.eligible_tiers and (retailer.tier or Tier.ORDINARY) not in reward.eligible_tiers:
        return _("This reward is not offered to the shop's tier.")
    return ""


@transaction.atomic
def redemption_file(*, retailer: Retailer, reward: Reward, user) -> Redemption:
    """A manager files a redemption for a shop: one item of stock taken and the points held at once
    (a redeem entry), each by a conditional UPDATE (… WHERE stock >= 1, … WHERE balance >= price) so
    that racing redemptions never take a stock or a balance below zero."""
    if not user.has_perm("loyalty.add_redemption") or not retailers_visible_to(user).filter(pk=retailer.pk).exists():
        raise PermissionDenied
    today = timezone.localdate()
    refusal = reward_available_to(reward=reward, retailer=retailer, today=today)
    if refusal:
        raise LoyaltyError(refusal)
    account = points_account_for(retailer=retailer)
    points_expire_account(account=account, today=today)
    if not Reward.objects.filter(pk=reward.pk, stock__gte=1).update(stock=F("stock") - 1):
        raise LoyaltyError(_("This reward is out of stock."))
    price = reward.points_price
    if not PointsAccount.objects.filter(pk=account.pk, balance__gte=price).update(
        balance=F("balance") - price, updated_at=timezone.now()
    ):
        raise LoyaltyError(_("The shop does not have enough points for this reward."))
    redemption = Redemption.objects.create(account=account, reward=reward, points=price, filed_by=user)
    PointsEntry.objects.create(
        account=account, kind=EntryKind.REDEEM, points=-price, source_id=redemption.pk, booked_on=today,
        created_by=user,
    )  # fmt: skip
    RedemptionStatusChange.objects.create(redemption=redemption, new_status=RedemptionStatus.FILED, changed_by=user)
    return redemption


@transaction.atomic
def redemption_set_status(*, redemption: Redemption, status: str, user, note: str = "") -> Redemption:
    """Move a redemption along its pipeline (filed → approved → fulfilled; filed or approved →
    cancelled, with the points refunded and the item put back in stock). The row is locked, so
    two clicks never refund twice (and the refund's unique key would refuse it anyway)."""
    redemption = Redemption.objects.select_for_update().select_related("account").get(pk=redemption.pk)
    if not redemption_may_approve(redemption=redemption, user=user):
        raise PermissionDenied
    if status not in Redemption.PIPELINE[redemption.status]:
        raise LoyaltyError(
            _("A redemption that is %(current)s cannot become %(new)s.")
            % {"current": redemption.get_status_display(), "new": RedemptionStatus(status).label}
        )
    if status == RedemptionStatus.CANCELLED:
        if not note.strip():
            raise LoyaltyError(_("Say why the redemption is cancelled."))
        PointsAccount.objects.filter(pk=redemption.account_id).update(
            balance=F("balance") + redemption.points, updated_at=timezone.now()
        )
        PointsEntry.objects.create(
            account_id=redemption.account_id, kind=EntryKind.REFUND, points=redemption.points,
            source_id=redemption.pk, booked_on=timezone.localdate(), created_by=user, reason=note[:200],
        )  # fmt: skip
        Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
    RedemptionStatusChange.objects.create(
        redemption=redemption, old_status=redemption.status, new_status=status, changed_by=user, note=note[:200]
    )
    redemption.status = status
    redemption.save(update_fields=["status"])
    return redemption


# --- manual adjustment ---------------------------------------------------------------------------


@transaction.atomic
def points_adjust(*, retailer: Retailer, points: int, reason: str, user) -> PointsEntry:
    """A supervisor or admin adds or takes points by hand, with a reason (the entry records who and
    why). Added points are a lot that expires like any earning; taken points never exceed the balance."""
    if not user.has_perm("loyalty.adjust_points") or not retailers_visible_to(user).filter(pk=retailer.pk).exists():
        raise PermissionDenied
    if not points:
        raise ValidationError({"points": _("Points: give a number of points other than zero.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say why the points are adjusted.")})
    account = points_account_for(retailer=retailer)
    today = timezone.localdate()
    if points < 0:
        points_expire_account(account=account, today=today)
    if not PointsAccount.objects.filter(pk=account.pk, balance__gte=max(0, -points)).update(
        balance=F("balance") + points, updated_at=timezone.now()
    ):
        raise ValidationError({"points": _("Points: the shop holds fewer points than that.")})
    expires_on = sql.expiry_for(today, points_policy()) if points > 0 else None
    entry = PointsEntry.objects.create(
        account=account, kind=EntryKind.ADJUST, points=points, booked_on=today, expires_on=expires_on,
        created_by=user, reason=reason.strip()[:200],
    )  # fmt: skip
    logger.info("points adjusted: retailer %s, %+d by %s (%s)", retailer.pk, points, user, reason)
    return entry


# --- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    account_id: int
    retailer_id: int
    stored: int
    summed: int


def points_reconcile() -> list[Difference]:
    """Prove that every stored balance is the sum of its account's entries (one query); each
    difference is logged as an error and returned."""
    rows = sql.fetch(
        f"""SELECT a.id, a.retailer_id, a.balance, COALESCE(s.total, 0) FROM {sql.ACCOUNT} a
        LEFT JOIN (SELECT account_id, SUM(points) AS total FROM {sql.ENTRY} GROUP BY account_id) s
          ON s.account_id = a.id
        WHERE a.balance <> COALESCE(s.total, 0) ORDER BY a.id"""
    )
    differences = [Difference(*row) for row in rows]
    for difference in differences:
        logger.error("points balance differs from its entries: %s", difference)
    return differences
