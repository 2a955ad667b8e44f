"""A realistic demo prefecture, generated vectorised (numpy/pandas) and loaded set-based.

Deterministic for (seed, retailers, months, until); idempotent (a second run changes nothing,
`reset=True` rebuilds). Order totals are always the sums of the generated lines; lines are
written for the last `line_weeks` weeks only when asked, so province-size benchmarks stay
loadable in minutes.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import Max
from django.db.models.functions import Mod
from django.utils import timezone

from analytics.models import (
    AreaBrandMonth,
    AreaForecast,
    AreaMonth,
    AreaPriceClassMonth,
    AreaProductMonth,
    ForecastRun,
    RefreshState,
    RiskFinding,
    ShopForecast,
    ShopMonth,
    ShopStanding,
    ShopWeek,
)
from analytics.services import analytics_refresh
from complaints.models import Ticket, TicketAttachment, TicketEvent
from crm_site.bulk import history_insert, indexes_deferred, insert_frame
from crm_site.models import Notification, User
from crm_site.roles import Role
from grading.models import Allocation, AllocationLine, AllocationRuleSet, GradingRun, RetailerGrade, TierOverride
from loyalty.models import ExpiryWarning, PointsAccount, PointsEntry, Redemption, RedemptionStatusChange, Watermark
from retailers.models import (
    ChangeSource,
    ComplianceRecord,
    HistoricalRetailer,
    Order,
    OrderLine,
    Product,
    Region,
    Retailer,
    RetailerMerge,
    ServiceArea,
)
from retailers.pinyin import pinyin_keys
from retailers.services import retailer_refresh_last_order
from visits.models import (
    Question,
    Questionnaire,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyResultCell,
    SurveyToken,
)
from visits.surveys import survey_results_rebuild

REGIONS = [
    ("320102", "玄武区"), ("320104", "秦淮区"), ("320105", "建邺区"), ("320106", "鼓楼区"),
    ("320111", "浦口区"), ("320113", "栖霞区"), ("320114", "雨花台区"), ("320115", "江宁区"),
    ("320116", "六合区"), ("320117", "溧水区"), ("320118", "高淳区"), ("320119", "江北新区"),
]  # fmt: skip
ROADS = [
    "中山路", "北京东路", "珠江路", "汉中路", "龙蟠路", "应天大街", "江东中路", "双龙大道",
    "天元路", "文靖路", "广州路", "虎踞路", "集庆路", "长江路", "太平南路", "瑞金路",
]  # fmt: skip
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈")
GIVEN = list("建国秀英伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰华红玉梅文斌宇浩凯")
SHOP_MIDDLES = ["记", "家", "氏", "老", "小", "福", "顺", "旺", "兴", "鑫", "隆", "佳"]
SHOP_WORDS = {
    "convenience": ["便利店", "便利超市", "便民店"],
    "grocery": ["食杂店", "杂货店", "小卖部", "商店"],
    "supermarket": ["超市", "购物中心", "生活超市"],
    "tobacco_liquor": ["烟酒店", "烟酒商行", "名烟名酒"],
    "entertainment": ["茶社", "棋牌室", "KTV"],
    "mall": ["商场烟柜", "百货"],
    "other": ["商行", "加油站便利店", "宾馆商品部"],
}
BUSINESS_SHARE = {"convenience": 0.30, "grocery": 0.35, "supermarket": 0.10, "tobacco_liquor": 0.14,
                  "entertainment": 0.04, "mall": 0.02, "other": 0.05}  # fmt: skip
BUSINESS_SIZE = {"convenience": 1.0, "grocery": 0.7, "supermarket": 1.8, "tobacco_liquor": 2.2,
                 "entertainment": 0.8, "mall": 1.5, "other": 0.6}  # fmt: skip
URBAN_ZONES = ["commercial", "residential", "transit", "school", "tourist", "industrial"]
RURAL_ZONES = ["town_market", "residential", "industrial"]
HOBBIES = ["钓鱼", "下象棋", "打乒乓球", "喝茶", "广场舞", "摄影", "书法", "养花", "看球", "跑步", ""]
CHANNELS = ["phone", "wechat", "sms", "visit"]
COMPLIANCE_KINDS = ["cross_territory", "counterfeit", "over_scope", "sale_to_minors", "unlicensed_sale", "other"]
# brand, spec, price class, wholesale yuan/carton, tar mg, high-end, scarce
PRODUCTS = [
    ("中华", "硬中华", 1, 380.0, 11, True, False), ("中华", "软中华", 1, 585.0, 11, True, True),
    ("中华", "双中支", 1, 420.0, 8, True, True), ("黄鹤楼", "硬1916", 1, 880.0, 10, True, True),
    ("黄鹤楼", "软蓝", 1, 235.0, 10, True, False), ("黄鹤楼", "天下名楼", 2, 180.0, 8, False, False),
    ("芙蓉王", "硬芙蓉王", 1, 230.0, 11, True, False), ("芙蓉王", "蓝芙蓉王", 1, 320.0, 8, True, False),
    ("利群", "新版", 2, 125.0, 10, False, False), ("利群", "休闲云端", 1, 320.0, 6, True, True),
    ("利群", "阳光", 2, 185.0, 8, False, False), ("玉溪", "硬玉溪", 1, 215.0, 11, True, False),
    ("玉溪", "软玉溪", 1, 225.0, 10, True, False), ("玉溪", "初心", 2, 160.0, 8, False, False),
    ("云烟", "紫云烟", 2, 105.0, 11, False, False), ("云烟", "软珍品", 1, 215.0, 10, True, False),
    ("红塔山", "硬经典", 3, 75.0, 11, False, False), ("红塔山", "软经典", 3, 68.0, 11, False, False),
    ("南京", "炫赫门", 2, 150.0, 6, False, False), ("南京", "红南京", 3, 95.0, 10, False, False),
    ("南京", "雨花石", 1, 880.0, 8, True, True), ("南京", "十二钗", 2, 190.0, 6, False, False),
    ("苏烟", "软金砂", 1, 440.0, 8, True, True), ("苏烟", "五星红杉树", 2, 170.0, 10, False, False),
    ("黄山", "红方印", 2, 160.0, 10, False, False), ("黄山", "新制皖烟", 3, 90.0, 10, False, False),
    ("白沙", "精品", 3, 80.0, 10, False, False), ("白沙", "和天下", 1, 900.0, 11, True, True),
    ("双喜", "硬经典", 3, 72.0, 11, False, False), ("双喜", "红玫王", 2, 110.0, 10, False, False),
    ("七匹狼", "白", 2, 135.0, 8, False, False), ("七匹狼", "通仙", 3, 85.0, 10, False, False),
    ("红河", "软99", 3, 66.0, 11, False, False), ("红河", "硬甲", 4, 48.0, 11, False, False),
    ("真龙", "娇子", 3, 88.0, 10, False, False), ("真龙", "凌云", 1, 275.0, 8, True, False),
    ("泰山", "红将军", 3, 80.0, 10, False, False), ("泰山", "心悦", 2, 140.0, 6, False, False),
    ("娇子", "宽窄好运", 2, 145.0, 8, False, False), ("娇子", "X", 2, 155.0, 5, False, False),
    ("长白山", "777", 2, 130.0, 8, False, False), ("长白山", "红", 4, 45.0, 11, False, False),
    ("钻石", "荷花", 1, 265.0, 8, True, False), ("钻石", "硬蓝", 4, 42.0, 11, False, False),
    ("好猫", "长乐", 3, 70.0, 10, False, False), ("大前门", "短支", 5, 28.0, 11, False, False),
    ("红双喜", "上海", 4, 50.0, 11, False, False), ("金圣", "滕王阁", 3, 78.0, 10, False, False),
    ("牡丹", "软", 4, 40.0, 11, False, False), ("哈德门", "精品", 5, 26.0, 11, False, False),
]  # fmt: skip

DEMO_USERS = [
    # username, password (local demo data only), role, display name
    ("admin", "demo-admin-2026", Role.ADMIN, "系统管理员"),
    ("supervisor", "demo-supervisor-2026", Role.SUPERVISOR, "陈主管"),
    ("manager", "demo-manager-2026", Role.SALES_MANAGER, "王经理"),
    ("clerk", "demo-clerk-2026", Role.COMPLAINT_CLERK, "刘专员"),
]


@dataclass
class SeedSummary:
    retailers: int = 0
    orders: int = 0
    order_lines: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: bool = False


class _Timer:
    def __init__(self, summary: SeedSummary, log) -> None:
        self.summary, self.log, self.started = summary, log, time.perf_counter()

    def lap(self, phase: str, **rows: int) -> None:
        """Log the phase's seconds and, for each table it wrote, rows and rows per second."""
        now = time.perf_counter()
        seconds = now - self.started
        self.summary.seconds[phase] = round(seconds, 2)
        written = sum(rows.values())
        tables = ", ".join(f"{table} {count:,}" for table, count in rows.items())
        rate = f"; {written:,} rows ({tables}), {written / seconds:,.0f} rows/s" if rows else ""
        self.log(f"  {phase}: {seconds:.1f} s{rate}")
        self.started = now


def demo_users_ensure() -> list[tuple[str, str, str]]:
    """The four demo log-ins (never in production; an existing user's password is kept)."""
    if os.environ.get("DJANGO_ENV") == "production":
        raise RuntimeError("demo users are not created in production")
    created = []
    for username, password, role, display_name in DEMO_USERS:
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={"display_name": display_name, "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN},
        )
        if is_new:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        created.append((username, password, str(role.label)))
    region, area = Region.objects.order_by("code").first(), ServiceArea.objects.order_by("code").first()
    if region is not None:
        region.supervisors.add(User.objects.get(username="supervisor"))
    if area is not None:
        manager = User.objects.get(username="manager")
        area.managers.add(manager)
        # The demo manager takes over the area's shops; the dossiers' history says so (and who did it),
        # else the manager's first edit of a shop would show up as changing its account manager.
        handed_over = list(area.retailers.exclude(account_manager=manager).values_list("pk", flat=True))
        Retailer.objects.filter(pk__in=handed_over).update(account_manager=manager)
        history_insert(Retailer, ids=handed_over, history_type="~", change_source=ChangeSource.DEMO)
    return created


def seed_demo(
    *, retailers: int, months: int, seed: int, until: datetime.date, line_weeks: int | None = None,
    reset: bool = False, log=print, allocation: bool = True, points: bool = True,
) -> SeedSummary:  # fmt: skip
    summary = SeedSummary()
    if Retailer.objects.exists():
        if not reset:
            count = Retailer.objects.count()
            log(f"Demo data is already there ({count:,} retailers): nothing to do (--reset rebuilds).")
            summary.skipped = True
            return summary
        _delete_master_data()
    timer = _Timer(summary, log)
    rng = np.random.default_rng(seed)
    with transaction.atomic():
        regions, areas = _create_regions_and_areas(rng, retailers)
        products = _create_products(until)
        timer.lap("regions, areas, managers, products")
        with indexes_deferred(Retailer):
            shops = _create_retailers(rng, retailers, regions, areas, until)
        summary.retailers = len(shops)
        timer.lap("retailers", retailers=summary.retailers)
        with indexes_deferred(Order, OrderLine):
            summary.orders, summary.order_lines = _create_orders(rng, shops, products, months, until, line_weeks)
        timer.lap("orders", orders=summary.orders, order_lines=summary.order_lines)
        retailer_refresh_last_order()
        _create_compliance(rng, shops, until)
        history_insert(Retailer, ids=None, history_type="+", change_source=ChangeSource.DEMO)
        timer.lap("last orders, compliance, history")
        _create_surveys(rng, until)
        timer.lap("survey invitations and answers")
    if allocation:
        _create_demo_allocation(until, log)
        timer.lap("grading and the demo allocation")
    if points:
        _create_demo_points(until, log)
        timer.lap("points: rules, rewards, earning")
    if retailers <= ANALYTICS_REFRESH_MAX:
        _refresh_analytics(until)
        timer.lap("analytics summaries, sales forecast and compliance risk list")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Region, ServiceArea, Product, Retailer, Order, OrderLine, HistoricalRetailer,
                          SurveyInvitation, SurveyResponse, SurveyAnswer):  # fmt: skip
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', '{model._meta.pk.column}'), "  # noqa: S608
                    f"COALESCE((SELECT MAX({model._meta.pk.column}) FROM {model._meta.db_table}), 1))"
                )
            if not connection.in_atomic_block:  # VACUUM cannot run in a transaction (tests run in one)
                cursor.execute("VACUUM ANALYZE")  # fresh visibility map: index-only scans for grading
    return summary


def _create_demo_allocation(until: datetime.date, log) -> None:
    """One published allocation of a scarce product for next week (grading the shops first if
    they never were), so the demo shows an allocation with its lines and explanations."""
    from grading.models import RunStatus, RunTrigger
    from grading.services import (
        allocation_create,
        allocation_publish,
        grading_run_execute,
        grading_run_start,
        period_bounds,
    )

    if not GradingRun.objects.filter(status=RunStatus.SUCCEEDED).exists():
        run = grading_run_start(trigger=RunTrigger.COMMAND, queue=False)
        grading_run_execute(run_id=run.pk)
    product = Product.objects.filter(is_scarce=True).order_by("-wholesale_price", "code").first()
    rule_set = AllocationRuleSet.objects.order_by("pk").first()
    if product is None or rule_set is None:
        return
    start, _end = period_bounds(kind="week", day=until + datetime.timedelta(days=7))
    cartons = max(1, Retailer.objects.count() // 2)
    allocation = allocation_create(
        product=product, period_kind="week", period_start=start, cartons=cartons, rule_set=rule_set
    )
    allocation_publish(allocation=allocation, published_by=None)
    log(f"  demo allocation: {product} {start}: {allocation.allocated:,} of {cartons:,} cartons")


# Up to this many shops the seeder also computes the analytics summaries, the forecast and the risk
# list (seconds), so the demo's analytics pages have something to show; a province-size seed leaves
# them to the nightly jobs (the summaries alone take minutes at 300,000 shops).
ANALYTICS_REFRESH_MAX = 20_000


def _refresh_analytics(until: datetime.date) -> None:
    from analytics.forecast_services import forecast_refresh
    from analytics.risk_services import risk_refresh

    analytics_refresh(full=True, today=until)
    forecast_refresh(today=until)
    risk_refresh(today=until)


DEMO_EARN_RULES = (
    # kind, points, price class, days after launch
    ("purchase", "0.1", None, None),  # 1 point per 10 yuan
    ("purchase", "0.2", 1, None),  # class 1 cigarettes count double
    ("new_product", "5", None, 90),  # 5 points per carton of a product in its first 90 days
    ("survey", "50", None, None),
    ("feedback", "20", None, None),
    ("referral", "500", None, None),
)
DEMO_REWARDS = (
    # name, points, stock, tiers
    ("卷烟陈列柜", 3000, 50, []),
    ("门头灯箱", 5000, 20, ["key"]),
    ("收银台烟架", 1500, 100, []),
    ("经营培训课程", 800, 200, []),
    ("节日礼品套装", 600, 500, []),
)


def _create_demo_points(until: datetime.date, log) -> None:
    """Default earn rules and a few rewards (if there are none), a referrer for about one shop in a
    hundred, then the earning and expiry jobs, so the demo shops have balances and statements."""
    from loyalty.models import EarnRule, Reward
    from loyalty.services import points_earn, points_expire

    since = datetime.date(2020, 1, 1)
    if not EarnRule.objects.exists():
        EarnRule.objects.bulk_create(
            EarnRule(kind=kind, points=points, price_class=price_class, new_product_days=days,
                     valid_from=since)
            for kind, points, price_class, days in DEMO_EARN_RULES
        )  # fmt: skip
    if not Reward.objects.exists():
        Reward.objects.bulk_create(
            Reward(name=name, points_price=price, stock=stock, eligible_tiers=tiers, valid_from=since)
            for name, price, stock, tiers in DEMO_REWARDS
        )
    Retailer.objects.annotate(step=Mod("id", 101)).filter(step=0).update(referred_by_id=models.F("pk") - 1)
    counts = points_earn()
    expired = points_expire(today=until)
    log(f"  points: {counts['orders']:,} order entries, {counts['referrals']:,} referrals, {expired:,} expiries")


def _delete_master_data() -> None:
    """Demo reset: everything that hangs off retailers (and the notifications about it), then the
    master data (not users)."""
    if os.environ.get("DJANGO_ENV") == "production":
        raise RuntimeError("the demo reset is not available in production")
    with transaction.atomic():
        for model in (
            RiskFinding, ShopForecast, AreaForecast, ForecastRun,
            ShopWeek, ShopMonth, AreaMonth, AreaProductMonth, AreaBrandMonth, AreaPriceClassMonth, ShopStanding,
            RefreshState,
            ExpiryWarning, RedemptionStatusChange, PointsEntry, Redemption, PointsAccount, Watermark,
            SurveyAnswer, SurveyResponse, SurveyToken, SurveyInvitation, SurveyResultCell,
            Notification, TicketAttachment, TicketEvent, Ticket, AllocationLine, Allocation, RetailerGrade, GradingRun,
            TierOverride,
            RetailerMerge, OrderLine, Order, ComplianceRecord, HistoricalRetailer, Retailer,
            ServiceArea.managers.through, ServiceArea, Region.supervisors.through, Region,
            Product.history.model, Product,
        ):  # fmt: skip
            model.objects.all()._raw_delete(connection.alias)


def _create_regions_and_areas(rng: np.random.Generator, n_retailers: int) -> tuple[list[Region], list[ServiceArea]]:
    n_regions = int(np.clip(4 + n_retailers // 40_000, 4, len(REGIONS)))
    regions = Region.objects.bulk_create(Region(code=code, name=name) for code, name in REGIONS[:n_regions])
    n_areas = max(n_regions, int(np.ceil(n_retailers / 250)))
    areas = ServiceArea.objects.bulk_create(
        ServiceArea(code=f"{regions[i % n_regions].code}-{i // n_regions + 1:03d}",
                    name=f"{regions[i % n_regions].name}{i // n_regions + 1}片区", region=regions[i % n_regions])
        for i in range(n_areas)
    )  # fmt: skip
    manager_group, supervisor_group = (
        Group.objects.get(name=Role.SALES_MANAGER),
        Group.objects.get(name=Role.SUPERVISOR),
    )
    staff = []
    for area in areas:
        staff.append(User(username=f"mgr_{area.code}", display_name=f"{rng.choice(SURNAMES)}经理"))
    for region in regions:
        staff.append(User(username=f"sup_{region.code}", display_name=f"{region.name}营销主管"))
    for user in staff:
        user.set_unusable_password()
    existing = set(User.objects.filter(username__in=[u.username for u in staff]).values_list("username", flat=True))
    User.objects.bulk_create(user for user in staff if user.username not in existing)
    users = User.objects.in_bulk([u.username for u in staff], field_name="username")
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=users[f"mgr_{a.code}"].pk, group_id=manager_group.pk) for a in areas]
        + [User.groups.through(user_id=users[f"sup_{r.code}"].pk, group_id=supervisor_group.pk) for r in regions],
        ignore_conflicts=True,
    )
    ServiceArea.managers.through.objects.bulk_create(
        ServiceArea.managers.through(servicearea_id=a.pk, user_id=users[f"mgr_{a.code}"].pk) for a in areas
    )
    Region.supervisors.through.objects.bulk_create(
        Region.supervisors.through(region_id=r.pk, user_id=users[f"sup_{r.code}"].pk) for r in regions
    )
    for area in areas:
        area.manager_id = users[f"mgr_{area.code}"].pk
    return regions, areas


def _create_products(until: datetime.date) -> pd.DataFrame:
    products = Product.objects.bulk_create(
        Product(
            code=f"69010{i:05d}", brand=brand, name=spec, price_class=price_class,
            wholesale_price=f"{price:.2f}", retail_price=f"{price * 1.12:.2f}", tar_mg=tar,
            is_high_end=high_end, is_scarce=scarce, launched_on=until - datetime.timedelta(days=30 * (i * 7 % 60)),
        )
        for i, (brand, spec, price_class, price, tar, high_end, scarce) in enumerate(PRODUCTS)
    )  # fmt: skip
    return pd.DataFrame(
        {
            "id": [p.pk for p in products],
            "brand": [row[0] for row in PRODUCTS],
            "price": [row[3] for row in PRODUCTS],
            "low_tar": [row[4] <= 8 for row in PRODUCTS],
            "high_end": [row[5] for row in PRODUCTS],
        }
    )


def _pick(rng: np.random.Generator, options: list, size: int, p=None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p)]


def _dates(base: datetime.date, days: np.ndarray) -> np.ndarray:
    return (np.datetime64(base) + days.astype("timedelta64[D]")).astype(str)


def _joined_with_pinyin(parts: list[pd.Series]) -> tuple[pd.Series, tuple[pd.Series, pd.Series]]:
    """The texts made by joining `parts` element-wise, with their pinyin search keys joined from
    the keys of each distinct part (a few hundred), not computed again for each of 300,000 texts.
    A name's keys are then those of its parts, which is what a manager types."""
    texts = parts[0].str.cat(parts[1:])
    keys = [part.map({text: pinyin_keys(text) for text in part.unique()}) for part in parts]
    full = keys[0].str[0].str.cat([key.str[0] for key in keys[1:]])
    initials = keys[0].str[1].str.cat([key.str[1] for key in keys[1:]])
    return texts, (full, initials)


# Where the demo province lies (Nanjing), how far apart its regions' and areas' centres are, and
# how far a shop lies from its area's centre (degrees; 0.01° of latitude is 1.1 km).
CENTRE = (32.06, 118.80)
REGION_SPREAD, AREA_SPREAD, SHOP_SPREAD = 0.25, 0.04, 0.012
NO_LOCATION_SHARE = 0.03  # shops whose location nobody recorded yet (the route puts them last)
LUNAR_BIRTHDAY_SHARE = 0.15  # owners who keep their birthday by the lunar calendar
LUNAR_LEAP_SHARE = 0.03  # of those, born in a leap month


def _coordinates(area_index: np.ndarray, areas: list[ServiceArea], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Plausible coordinates: each region's centre around the province's, each area's around its
    region's, each shop around its area's (vectorised; a generator of its own, so that the
    other draws of the seeder stay what they were). A few shops have none."""
    geo = np.random.default_rng([n, 10])
    region_ids = np.array([area.region_id for area in areas])
    _unique, region_of_area = np.unique(region_ids, return_inverse=True)
    region_centres = np.array(CENTRE) + geo.normal(0, REGION_SPREAD, (region_of_area.max() + 1, 2))
    area_centres = region_centres[region_of_area] + geo.normal(0, AREA_SPREAD, (len(areas), 2))
    points = area_centres[area_index] + geo.normal(0, SHOP_SPREAD, (n, 2))
    missing = geo.random(n) < NO_LOCATION_SHARE
    latitude = np.where(missing, None, np.char.mod("%.6f", points[:, 0]))
    longitude = np.where(missing, None, np.char.mod("%.6f", points[:, 1]))
    return latitude, longitude


def _lunar_birthdays(n: int) -> dict[str, np.ndarray]:
    """A lunar birthday (month, day, leap month) for some owners; None for the others."""
    geo = np.random.default_rng([n, 11])
    lunar = geo.random(n) < LUNAR_BIRTHDAY_SHARE
    return {
        "lunar_birthday_month": np.where(lunar, geo.integers(1, 13, n), None),
        "lunar_birthday_day": np.where(lunar, geo.integers(1, 31, n), None),
        "lunar_birthday_leap": lunar & (geo.random(n) < LUNAR_LEAP_SHARE),
    }


def _create_retailers(
    rng: np.random.Generator, n: int, regions: list[Region], areas: list[ServiceArea], until: datetime.date
) -> pd.DataFrame:
    area_index = rng.integers(0, len(areas), n)
    region_codes = np.array([area.region.code for area in areas])[area_index]
    business = _pick(rng, list(BUSINESS_SHARE), n, p=list(BUSINESS_SHARE.values()))
    urban = rng.random(n) < 0.6
    surnames = pd.Series(_pick(rng, SURNAMES, n))
    words = pd.Series(
        [SHOP_WORDS[b][k % len(SHOP_WORDS[b])] for b, k in zip(business, rng.integers(0, 6, n), strict=True)]
    )
    branch = rng.random(n) < 0.15
    branches = pd.Series(np.where(branch, "（" + pd.Series(rng.integers(2, 9, n)).astype(str) + "店）", ""))
    name_parts = [surnames, pd.Series(_pick(rng, SHOP_MIDDLES, n)), words, branches]
    owner_parts = [
        surnames,
        pd.Series(_pick(rng, GIVEN, n)),
        pd.Series(np.where(rng.random(n) < 0.7, _pick(rng, GIVEN, n), "")),
    ]
    names, (name_pinyin, name_initials) = _joined_with_pinyin(name_parts)
    owners, (owner_pinyin, owner_initials) = _joined_with_pinyin(owner_parts)
    serial = np.arange(n)
    # Licences run five years; about 2% have lapsed (issued more than five years ago).
    lapsed = rng.random(n) < 0.02
    issued_days = np.where(lapsed, 5 * 365 + rng.integers(1, 200, n), rng.integers(0, 5 * 365, n))
    issued = _dates(until, -issued_days)
    expiry_days = 5 * 365 - issued_days
    status = _pick(rng, ["active", "suspended", "closed"], n, p=[0.96, 0.02, 0.02])
    zones = np.where(urban, _pick(rng, URBAN_ZONES, n), _pick(rng, RURAL_ZONES, n))
    latitude, longitude = _coordinates(area_index, areas, n)
    lunar = _lunar_birthdays(n)
    shops = pd.DataFrame(
        {
            "id": np.arange(1, n + 1) + (Retailer.objects.aggregate(m=Max("id"))["m"] or 0),
            "license_no": pd.Series(region_codes) + pd.Series(serial % 1_000_000).astype(str).str.zfill(6),
            "license_issued_on": issued,
            "license_expires_on": _dates(until, expiry_days),
            "name": names,
            "owner_name": owners,
            "phone": "1" + _pick(rng, list("35789"), n) + pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9),
            "phone_alt": "",
            "address": pd.Series(np.array([a.region.name for a in areas])[area_index])
            + _pick(rng, ROADS, n)
            + pd.Series(rng.integers(1, 400, n)).astype(str)
            + "号",
            "credit_code": "",
            "latitude": latitude,
            "longitude": longitude,
            "business_type": business,
            "market_type": np.where(urban, "urban", "rural"),
            "zone_type": zones,
            "service_area_id": np.array([a.pk for a in areas])[area_index],
            "account_manager_id": np.array([a.manager_id for a in areas])[area_index],
            "order_weekday": rng.integers(1, 6, n),
            "delivery_route": "R" + pd.Series(area_index % 40 + 1).astype(str).str.zfill(2),
            "credit_level": _pick(rng, ["AAA", "AA", "A", "B", "C"], n, p=[0.1, 0.25, 0.45, 0.15, 0.05]),
            "status": status,
            "partner_since": _dates(until, -rng.integers(60, 12 * 365, n)),
            "birthday": _dates(datetime.date(1955, 1, 1), rng.integers(0, 40 * 365, n)),
            **lunar,
            "hobbies": _pick(rng, HOBBIES, n),
            "family_notes": "",
            "circle_contacts": "",
            "preferred_channel": _pick(rng, CHANNELS, n),
            "notes": "",
            "tier": "",
            "stars": 0,
            "name_pinyin": name_pinyin,
            "name_initials": name_initials,
            "owner_pinyin": owner_pinyin,
            "owner_initials": owner_initials,
            "created_at": timezone.now().isoformat(),
            "updated_at": timezone.now().isoformat(),
        }
    )
    insert_frame(Retailer._meta.db_table, shops)
    # Latent purchasing power: heavy-tailed, larger for supermarkets and tobacco & liquor shops.
    size = rng.lognormal(mean=0.0, sigma=0.9, size=n) * pd.Series(business).map(BUSINESS_SIZE).to_numpy()
    size_rank = pd.Series(size).rank(pct=True).to_numpy()
    return pd.DataFrame(
        {
            "id": shops["id"].to_numpy(),
            "weekday": shops["order_weekday"].to_numpy(),
            "size": size,
            "order_probability": np.clip(0.3 + 0.6 * size_rank + rng.normal(0, 0.08, n), 0.15, 0.98)
            * np.where(status == "active", 1.0, 0.2),
            "high_end_affinity": np.clip(rng.beta(2, 5, n) + 0.25 * size_rank, 0, 0.9),
        }
    )


def _create_orders(
    rng: np.random.Generator, shops: pd.DataFrame, products: pd.DataFrame, months: int, until: datetime.date,
    line_weeks: int | None,
) -> tuple[int, int]:  # fmt: skip
    weeks = round(months * 52 / 12)
    monday = until - datetime.timedelta(days=until.weekday())
    high_end = products.index[products["high_end"]].to_numpy()
    regular = products.index[~products["high_end"]].to_numpy()
    price = products["price"].to_numpy()
    brand_codes = pd.factorize(products["brand"])[0]
    product_ids = products["id"].to_numpy()
    next_order_id = (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_line_id = (OrderLine.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    total_orders = total_lines = 0
    for week in range(weeks - 1, -1, -1):
        week_start = monday - datetime.timedelta(weeks=week)
        ordering = shops[rng.random(len(shops)) < shops["order_probability"].to_numpy()]
        dates = np.datetime64(week_start) + (ordering["weekday"].to_numpy() - 1).astype("timedelta64[D]")
        keep = dates <= np.datetime64(until)
        ordering, dates = ordering[keep], dates[keep]
        m = len(ordering)
        if m == 0:
            continue
        size = ordering["size"].to_numpy()
        lines_per_order = np.clip(1 + rng.poisson(1.5 + 2.5 * np.minimum(size, 3)), 1, 15)
        order_of_line = np.repeat(np.arange(m), lines_per_order)
        affinity = ordering["high_end_affinity"].to_numpy()[order_of_line]
        from_high_end = rng.random(len(order_of_line)) < affinity
        product = np.where(
            from_high_end, high_end[rng.integers(0, len(high_end), len(order_of_line))],
            regular[rng.integers(0, len(regular), len(order_of_line))],
        )  # fmt: skip
        quantity = 1 + rng.poisson(np.repeat(1.0 + 2.5 * size, lines_per_order))
        # One line per (order, product): merge repeats by summing their quantities.
        key = order_of_line.astype(np.int64) * 1000 + product
        # pandas' hash table, not np.unique: numpy 2.4's hashing unique takes ~10 s per million keys.
        inverse, unique_key = pd.factorize(key, sort=True)
        quantity = np.bincount(inverse, weights=quantity).astype(np.int64)
        order_of_line, product = unique_key // 1000, unique_key % 1000
        amount = np.round(quantity * price[product], 2)
        totals = {
            "amount": np.round(np.bincount(order_of_line, weights=amount, minlength=m), 2),
            "cartons": np.bincount(order_of_line, weights=quantity, minlength=m).astype(np.int64),
            "high_end_amount": np.round(
                np.bincount(order_of_line, weights=amount * products["high_end"].to_numpy()[product], minlength=m), 2
            ),
            "low_tar_cartons": np.bincount(
                order_of_line, weights=quantity * products["low_tar"].to_numpy()[product], minlength=m
            ).astype(np.int64),
            "line_count": np.bincount(order_of_line, minlength=m),
            "brand_count": np.bincount(
                pd.unique(order_of_line.astype(np.int64) * 100 + brand_codes[product]) // 100, minlength=m
            ),
        }
        order_ids = np.arange(next_order_id, next_order_id + m)
        date_text = dates.astype(str)
        retailer_ids = ordering["id"].to_numpy()
        orders = pd.DataFrame(
            {
                "id": order_ids,
                "order_no": "DD"
                + pd.Series(date_text).str.replace("-", "")
                + pd.Series(retailer_ids).astype(str).str.zfill(7),
                "retailer_id": retailer_ids,
                "ordered_on": date_text,
                **totals,
            }
        )
        insert_frame(Order._meta.db_table, orders)
        if line_weeks is None or week < line_weeks:
            lines = pd.DataFrame(
                {
                    "id": np.arange(next_line_id, next_line_id + len(product)),
                    "order_id": order_ids[order_of_line],
                    "product_id": product_ids[product],
                    "quantity": quantity,
                    "unit_price": price[product],
                    "amount": amount,
                }
            )
            insert_frame(OrderLine._meta.db_table, lines)
            next_line_id += len(product)
            total_lines += len(product)
        next_order_id += m
        total_orders += m
    return total_orders, total_lines


def _create_compliance(rng: np.random.Generator, shops: pd.DataFrame, until: datetime.date) -> None:
    flagged = shops["id"].to_numpy()[rng.random(len(shops)) < 0.04]
    repeats = rng.integers(1, 3, len(flagged))
    retailer_ids = np.repeat(flagged, repeats)
    k = len(retailer_ids)
    records = pd.DataFrame(
        {
            "retailer_id": retailer_ids,
            "found_on": _dates(until, -rng.integers(1, 720, k)),
            "kind": _pick(rng, COMPLIANCE_KINDS, k, p=[0.35, 0.15, 0.2, 0.1, 0.1, 0.1]),
            "severity": _pick(rng, ["minor", "major", "serious"], k, p=[0.6, 0.3, 0.1]),
            "source_department": _pick(rng, ["专卖稽查大队", "市场监管科", "专卖管理所"], k),
            "notes": "",
            "created_at": timezone.now().isoformat(),
        }
    )
    insert_frame(ComplianceRecord._meta.db_table, records)


SURVEY_COMMENTS = [
    "送货很准时，客户经理服务热情。", "希望紧俏烟的货源能多投放一些。", "订货系统偶尔卡顿。",
    "客户经理来得太少了。", "价格标签能否早点发？", "整体满意，继续保持。", "配送员态度很好。",
]  # fmt: skip


NPS_SHARES = [0.01, 0.01, 0.01, 0.02, 0.02, 0.04, 0.06, 0.1, 0.17, 0.26, 0.3]


def _db_times(times: pd.DatetimeIndex | pd.Series) -> pd.Series:
    """Aware times as the database stores them: UTC text (SQLite compares it as text)."""
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    return pd.Series(pd.DatetimeIndex(times).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S") + suffix)


def _create_surveys(rng: np.random.Generator, until: datetime.date) -> None:
    """Half the shops invited once in the last six months to the routine survey, about half of
    them answered (mostly content, some unhappy), so the results page has figures to show. Set-based:
    the rows are generated as frames and loaded in three inserts. (Demo answers plan no follow-up
    visits; answers given on the live form do.)"""
    questionnaire = Questionnaire.objects.filter(kind=SurveyKind.ROUTINE, is_current=True).first()
    if questionnaire is None:
        return
    questions = list(Question.objects.filter(questionnaire=questionnaire).order_by("position"))
    retailers = pd.DataFrame(list(Retailer.objects.values_list("id", "service_area_id")), columns=["id", "area"])
    picked = retailers[rng.random(len(retailers)) < 0.5].reset_index(drop=True)
    k = len(picked)
    if not k:
        return
    tz = timezone.get_current_timezone()
    invited_on = pd.to_datetime(until) - pd.to_timedelta(rng.integers(0, 180, k), unit="D")
    created = (invited_on + pd.Timedelta(hours=9, minutes=30)).tz_localize(tz)
    expires = created + pd.Timedelta(days=14)
    recent = (pd.to_datetime(until) - invited_on).days < 14
    answered = rng.random(k) < np.where(recent, 0.35, 0.55)
    status = np.where(answered, "answered", np.where(recent, "sent", "expired"))
    answered_at = created + pd.to_timedelta(rng.integers(1, 72 * 60, k), unit="min")
    first_id = (SurveyInvitation.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    ids = np.arange(first_id, first_id + k)
    # Scores: mostly 4–5, a few unhappy shops (ratings 1–2, NPS 0–6).
    kinds = [question.type for question in questions]
    scores = {}
    for index, question in enumerate(questions):
        if question.type == "rating":
            scores[index] = rng.choice(np.arange(1, 6), k, p=[0.03, 0.05, 0.14, 0.42, 0.36])
        elif question.type == "nps":
            scores[index] = rng.choice(np.arange(0, 11), k, p=NPS_SHARES)
    rating_idx = [i for i, kind in enumerate(kinds) if kind == "rating"]
    nps_idx = [i for i, kind in enumerate(kinds) if kind == "nps"]
    ratings = np.stack([scores[i] for i in rating_idx]) if rating_idx else np.zeros((0, k), dtype=int)
    nps = np.stack([scores[i] for i in nps_idx]) if nps_idx else np.zeros((0, k), dtype=int)
    on = answered.astype(int)
    invitations = pd.DataFrame({
        "id": ids, "retailer_id": picked["id"].to_numpy(), "questionnaire_id": questionnaire.pk,
        "kind": SurveyKind.ROUTINE, "period_start": invited_on.strftime("%Y-%m-%d"), "ticket_id": None,
        "service_area_id_at": picked["area"].to_numpy(),
        "tier_at": _pick(rng, ["key", "ordinary", "special"], k, p=[0.25, 0.70, 0.05]),
        "channel": "sms", "status": status, "attempts": 1, "last_error": "", "next_attempt_at": None,
        "reminders_sent": np.where(answered, 0, 2), "invited_on": invited_on.strftime("%Y-%m-%d"),
        "invited_month": invited_on.strftime("%Y-%m-01"),
        "created_at": _db_times(created), "sent_at": _db_times(created), "last_sent_at": _db_times(created),
        "expires_at": _db_times(expires), "answered_at": _db_times(answered_at).astype(object).where(answered, None),
        "ratings": len(rating_idx) * on, "ratings_satisfied": (ratings >= 4).sum(axis=0) * on,
        "nps_answers": len(nps_idx) * on, "promoters": (nps >= 9).sum(axis=0) * on,
        "detractors": (nps <= 6).sum(axis=0) * on,
    })  # fmt: skip
    insert_frame(SurveyInvitation._meta.db_table, invitations)
    done = np.flatnonzero(answered)
    first_response = (SurveyResponse.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    response_ids = np.arange(first_response, first_response + len(done))
    low = ((ratings[:, done] <= 2).any(axis=0) if rating_idx else False) | (
        (nps[:, done] <= 6).any(axis=0) if nps_idx else False
    )
    responses = pd.DataFrame({
        "id": response_ids, "invitation_id": ids[done], "retailer_id": picked["id"].to_numpy()[done],
        "questionnaire_id": questionnaire.pk, "answered_at": invitations["answered_at"].to_numpy()[done],
        "low_score": low, "follow_up_id": None,
    })  # fmt: skip
    insert_frame(SurveyResponse._meta.db_table, responses)
    answers = []
    for index, question in enumerate(questions):
        if question.type in ("rating", "nps"):
            values, texts = scores[index][done], ""
        elif question.type == "choice":
            values, texts = None, _pick(rng, question.option_list, len(done))
        else:
            commented = rng.random(len(done)) < 0.2
            frame = pd.DataFrame({"response_id": response_ids[commented], "question_id": question.pk, "score": None,
                                  "text": _pick(rng, SURVEY_COMMENTS, int(commented.sum()))})  # fmt: skip
            answers.append(frame)
            continue
        answers.append(
            pd.DataFrame({"response_id": response_ids, "question_id": question.pk, "score": values, "text": texts})
        )
    if answers:
        frame = pd.concat(answers, ignore_index=True)
        frame["score"] = pd.Series([None if pd.isna(v) else int(v) for v in frame["score"]], dtype=object)
        insert_frame(SurveyAnswer._meta.db_table, frame)
    survey_results_rebuild()
