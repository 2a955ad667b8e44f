"""Analytics' own summary tables, rebuilt from the order headers and lines by
analytics.services.analytics_refresh. Pages read these, never the raw order lines.

The shop and area columns are plain ids copied at refresh time (no foreign-key constraint): the
tables are derived data, rebuilt in bulk, and a merged or moved shop is set right by the next
full refresh. Amounts are sums; shares are computed when read, so that they add up over areas.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from retailers.models import Retailer, ServiceArea


class SalesFigures(models.Model):
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2, default=0)
    cartons = models.BigIntegerField(_("cartons"), default=0)
    orders = models.IntegerField(_("orders"), default=0)
    high_end_amount = models.DecimalField(_("high-end amount (yuan)"), max_digits=16, decimal_places=2, default=0)
    low_tar_cartons = models.BigIntegerField(_("low-tar cartons"), default=0)

    class Meta:
        abstract = True


class ShopWeek(SalesFigures):
    """One shop's orders of one week (Monday to Sunday)."""

    retailer_id = models.BigIntegerField(_("retailer"))
    service_area_id = models.BigIntegerField(_("service area"))
    week = models.DateField(_("week starting"))

    class Meta:
        verbose_name = _("weekly sales of a shop")
        verbose_name_plural = _("weekly sales of shops")
        constraints = [models.UniqueConstraint(fields=["retailer_id", "week"], name="analytics_shop_week_unique")]
        # the standings read every shop's weeks in shop order from this index alone (no sort); no
        # index by week: nothing reads a week of every shop but the rare recompute of re-imported
        # orders' weeks, and it cost a quarter of writing 9 M shop weeks at 300,000 shops
        indexes = [models.Index(fields=["retailer_id", "week", "amount", "cartons"], name="analytics_shop_week_cover")]

    def __str__(self) -> str:
        return f"{self.retailer_id} {self.week}"


class ShopMonth(SalesFigures):
    """One shop's orders of one calendar month."""

    retailer_id = models.BigIntegerField(_("retailer"))
    service_area_id = models.BigIntegerField(_("service area"))
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("monthly sales of a shop")
        verbose_name_plural = _("monthly sales of shops")
        constraints = [models.UniqueConstraint(fields=["retailer_id", "month"], name="analytics_shop_month_unique")]
        indexes = [models.Index(fields=["month", "service_area_id", "retailer_id"], name="analytics_shop_month_month")]

    def __str__(self) -> str:
        return f"{self.retailer_id} {self.month:%Y-%m}"


class AreaMonth(SalesFigures):
    """One service area's orders of one month, and how many of its shops ordered (the dashboard's
    totals read a few thousand of these rows instead of every shop's)."""

    service_area_id = models.BigIntegerField(_("service area"))
    month = models.DateField(_("month"))
    active_shops = models.IntegerField(_("shops that ordered"), default=0)

    class Meta:
        verbose_name = _("monthly sales of an area")
        verbose_name_plural = _("monthly sales of areas")
        constraints = [models.UniqueConstraint(fields=["service_area_id", "month"], name="analytics_area_month_unique")]

    def __str__(self) -> str:
        return f"{self.service_area_id} {self.month:%Y-%m}"


class AreaProductMonth(models.Model):
    """One area's order lines of one product in one month: the lines are grouped once, here, and
    the brand and price-class tables are rolled up from this one."""

    service_area_id = models.BigIntegerField(_("service area"))
    product_id = models.BigIntegerField(_("product"))
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2, default=0)
    cartons = models.BigIntegerField(_("cartons"), default=0)

    class Meta:
        verbose_name = _("monthly sales of a product in an area")
        verbose_name_plural = _("monthly sales of products in areas")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "service_area_id", "product_id"], name="analytics_area_product_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_area_id} {self.product_id} {self.month:%Y-%m}"


class AreaBrandMonth(models.Model):
    """One area's order lines of one brand in one month (from the order lines)."""

    service_area_id = models.BigIntegerField(_("service area"))
    brand = models.CharField(_("brand"), max_length=40)
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2, default=0)
    cartons = models.BigIntegerField(_("cartons"), default=0)

    class Meta:
        verbose_name = _("monthly sales of a brand in an area")
        verbose_name_plural = _("monthly sales of brands in areas")
        constraints = [
            models.UniqueConstraint(
                fields=["service_area_id", "brand", "month"], name="analytics_area_brand_month_unique"
            )
        ]
        indexes = [models.Index(fields=["month", "brand"], name="analytics_area_brand_month")]

    def __str__(self) -> str:
        return f"{self.service_area_id} {self.brand} {self.month:%Y-%m}"


class AreaPriceClassMonth(models.Model):
    """One area's order lines of one price class in one month (from the order lines)."""

    service_area_id = models.BigIntegerField(_("service area"))
    price_class = models.PositiveSmallIntegerField(_("price class"))
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2, default=0)
    cartons = models.BigIntegerField(_("cartons"), default=0)

    class Meta:
        verbose_name = _("monthly sales of a price class in an area")
        verbose_name_plural = _("monthly sales of price classes in areas")
        constraints = [
            models.UniqueConstraint(
                fields=["service_area_id", "price_class", "month"], name="analytics_area_class_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_area_id} {self.price_class} {self.month:%Y-%m}"


class ShopStanding(models.Model):
    """Per shop, as of the refresh's last complete week: what churn risk and the four measures
    (客户"四度") read. Computed set-based from ShopWeek in every refresh."""

    retailer_id = models.BigIntegerField(_("retailer"), primary_key=True)
    service_area_id = models.BigIntegerField(_("service area"))
    tier = models.CharField(_("tier"), max_length=10, blank=True)
    # churn: the last 8 weeks against the 44 weeks before them (together the 52-week window)
    recent_amount = models.DecimalField(_("amount, last 8 weeks"), max_digits=16, decimal_places=2, default=0)
    baseline_amount = models.DecimalField(_("amount, the 44 weeks before"), max_digits=16, decimal_places=2, default=0)
    last_order_week = models.DateField(_("last week with an order"), null=True)
    # the four measures
    weeks_ordered = models.PositiveSmallIntegerField(_("weeks ordered of the last 52"), default=0)
    tenure_months = models.IntegerField(_("months as a partner"), null=True)
    amount_52w = models.DecimalField(_("amount, last 52 weeks"), max_digits=16, decimal_places=2, default=0)
    cartons_52w = models.BigIntegerField(_("cartons, last 52 weeks"), default=0)
    contribution = models.DecimalField(_("share of the area's amount"), max_digits=9, decimal_places=6, default=0)
    full_weeks = models.PositiveSmallIntegerField(_("weeks with a full order"), default=0)
    survey_responses = models.IntegerField(_("survey responses"), default=0)
    csat = models.DecimalField(_("CSAT"), max_digits=6, decimal_places=2, null=True)
    nps = models.DecimalField(_("NPS"), max_digits=6, decimal_places=2, null=True)
    visit_rating = models.DecimalField(_("mean follow-up rating"), max_digits=4, decimal_places=2, null=True)
    # amount at risk = what the last 8 weeks fell short of 8 baseline weeks; stored for the ranking
    amount_at_risk = models.DecimalField(_("amount at risk"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("shop standing")
        verbose_name_plural = _("shop standings")
        indexes = [
            models.Index(fields=["service_area_id", "amount_at_risk"], name="analytics_standing_area_risk"),
            models.Index(fields=["amount_at_risk", "retailer_id"], name="analytics_standing_risk"),
            models.Index(fields=["amount_52w", "retailer_id"], name="analytics_standing_amount"),
        ]

    def __str__(self) -> str:
        return str(self.retailer_id)

    @property
    def loyalty(self) -> Decimal:
        """Weeks ordered of the last 52, as a share."""
        return Decimal(self.weeks_ordered) / 52

    @property
    def dependency(self) -> Decimal | None:
        """Share of the shop's ordering weeks with a full order (cartons ≥ 80 % of its weekly mean)."""
        return Decimal(self.full_weeks) / self.weeks_ordered if self.weeks_ordered else None


class AreaTierStanding(models.Model):
    """The shop standings of one service area and tier summed at each refresh, so that the four
    measures per tier and per area of a whole scope read a few thousand rows instead of grouping
    300,000 standings (a page filtered by a measure groups the standings it keeps). Sums and counts,
    not means: the means of several areas or tiers are the sums over the counts."""

    service_area_id = models.BigIntegerField(_("service area"))
    tier = models.CharField(_("tier"), max_length=10, blank=True)
    shops = models.IntegerField(_("shops"), default=0)
    weeks_ordered = models.BigIntegerField(_("weeks ordered of the last 52"), default=0)
    tenure_months = models.BigIntegerField(_("months as a partner"), default=0)
    tenure_shops = models.IntegerField(_("shops with a partner date"), default=0)
    amount_52w = models.DecimalField(_("amount, last 52 weeks"), max_digits=18, decimal_places=2, default=0)
    full_weeks = models.BigIntegerField(_("weeks with a full order"), default=0)
    survey_responses = models.BigIntegerField(_("survey responses"), default=0)
    csat = models.DecimalField(_("CSAT, summed"), max_digits=14, decimal_places=2, default=0)
    csat_shops = models.IntegerField(_("shops with a CSAT"), default=0)
    nps = models.DecimalField(_("NPS, summed"), max_digits=14, decimal_places=2, default=0)
    nps_shops = models.IntegerField(_("shops with an NPS"), default=0)
    visit_rating = models.DecimalField(_("follow-up rating, summed"), max_digits=14, decimal_places=2, default=0)
    visit_rating_shops = models.IntegerField(_("shops with a follow-up rating"), default=0)

    # each column and its aggregate over ShopStanding (the refresh's and a filtered page's grouping)
    SUMS = {
        "shops": models.Count("retailer_id"),
        "weeks_ordered": models.Sum("weeks_ordered", default=0),
        "tenure_months": models.Sum("tenure_months", default=0),
        "tenure_shops": models.Count("tenure_months"),
        "amount_52w": models.Sum("amount_52w", default=0),
        "full_weeks": models.Sum("full_weeks", default=0),
        "survey_responses": models.Sum("survey_responses", default=0),
        "csat": models.Sum("csat", default=0),
        "csat_shops": models.Count("csat"),
        "nps": models.Sum("nps", default=0),
        "nps_shops": models.Count("nps"),
        "visit_rating": models.Sum("visit_rating", default=0),
        "visit_rating_shops": models.Count("visit_rating"),
    }

    class Meta:
        verbose_name = _("shop standings of an area and tier")
        verbose_name_plural = _("shop standings of areas and tiers")
        constraints = [
            models.UniqueConstraint(fields=["service_area_id", "tier"], name="analytics_area_tier_standing_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service_area_id} {self.tier}"


class RefreshState(models.Model):
    """The one row that says how far the summaries are: the highest order and order-line ids they
    include (the watermarks of the incremental refresh) and the week the standings were computed as of."""

    last_order_id = models.BigIntegerField(_("last order included"), default=0)
    last_line_id = models.BigIntegerField(_("last order line included"), default=0)
    as_of_week = models.DateField(_("standings as of the week of"), null=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True)
    full_refresh_at = models.DateTimeField(_("last full refresh"), null=True)
    seconds = models.FloatField(_("duration (s)"), default=0)

    class Meta:
        verbose_name = _("analytics refresh state")
        verbose_name_plural = _("analytics refresh state")
        permissions = [
            ("refresh_analytics", _("Can refresh the analytics summaries")),
            ("export_analytics", _("Can export analytics tables")),
        ]

    def __str__(self) -> str:
        return f"{self.last_order_id} {self.refreshed_at}"


# Forecast and compliance risk


class ForecastMethod(models.TextChoices):
    SMOOTHING = "smoothing", _("Exponential smoothing aligned on the Spring Festival")
    CROSTON = "croston", _("Croston/SBA for irregular ordering")


class BaselineKind(models.TextChoices):
    NAIVE = "naive", _("Naive (last week's amount)")
    SEASONAL_NAIVE = "seasonal_naive", _("Seasonal naive (the same week a year before)")


class ForecastRun(models.Model):
    """One nightly forecast of every shop: the weeks it read and what it assumed. The pages
    read the latest run; a refresh writes a new one and deletes the older ones."""

    as_of = models.DateField(_("orders up to"))
    first_week = models.DateField(_("first forecast week (Monday)"))
    month = models.DateField(_("forecast month"))
    history_weeks = models.PositiveSmallIntegerField(_("weeks of history"))
    holdout_weeks = models.PositiveSmallIntegerField(_("weeks held out for the backtest"))
    horizon_weeks = models.PositiveSmallIntegerField(_("weeks forecast"))
    baseline = models.CharField(_("baseline"), max_length=20, choices=BaselineKind.choices)
    # {"<weeks from the week of 春节>": factor}: the pooled Spring Festival factors used.
    festival_factors = models.JSONField(_("Spring Festival factors"), default=dict)
    shop_count = models.PositiveIntegerField(_("shops forecast"), default=0)
    intermittent_count = models.PositiveIntegerField(_("shops ordering irregularly"), default=0)
    seconds = models.DecimalField(_("duration (s)"), max_digits=8, decimal_places=2, null=True)
    created_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")
        permissions = [("view_forecast", _("Can see the sales forecast"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"


class ForecastErrors(models.Model):
    """The backtest's figures, shared by a shop's and an area's forecast."""

    uses_method = models.BooleanField(_("the method beats the baseline"))
    mase = models.FloatField(_("MASE of the method"), null=True)
    smape = models.FloatField(_("sMAPE of the method"))
    baseline_mase = models.FloatField(_("MASE of the baseline"), null=True)
    baseline_smape = models.FloatField(_("sMAPE of the baseline"))
    # The forecast shown: the method's where it beats the baseline (uses_method), else the baseline's.
    next_4_weeks = models.DecimalField(_("next 4 weeks (yuan)"), max_digits=16, decimal_places=2)
    next_month = models.DecimalField(_("next month (yuan)"), max_digits=16, decimal_places=2)

    class Meta:
        abstract = True


class ShopForecast(ForecastErrors):
    # Lookups use the (run, service_area, retailer) and (run, retailer) indexes below.
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="shops", db_index=False)
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+", db_index=False)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.CASCADE, related_name="+", db_index=False)
    method = models.CharField(_("method"), max_length=10, choices=ForecastMethod.choices)
    # The shown forecast week by week (the chart), the first four weeks from first_week.
    week_1 = models.DecimalField(_("week 1"), max_digits=14, decimal_places=2)
    week_2 = models.DecimalField(_("week 2"), max_digits=14, decimal_places=2)
    week_3 = models.DecimalField(_("week 3"), max_digits=14, decimal_places=2)
    week_4 = models.DecimalField(_("week 4"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("shop forecast")
        verbose_name_plural = _("shop forecasts")
        constraints = [models.UniqueConstraint(fields=["run", "retailer"], name="shop_forecast_once_per_run")]
        indexes = [models.Index(fields=["run", "service_area", "retailer"], name="shop_forecast_area")]

    def __str__(self) -> str:
        return f"{self.retailer_id} @ {self.run_id}"

    @property
    def weeks(self) -> list:
        return [self.week_1, self.week_2, self.week_3, self.week_4]


class AreaForecast(ForecastErrors):
    """A service area's forecast (service_area empty: the whole company): the sum of its shops'
    forecasts, backtested as a total."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="areas")
    service_area = models.ForeignKey(ServiceArea, on_delete=models.CASCADE, related_name="+", null=True)
    shop_count = models.PositiveIntegerField(_("shops"))
    intermittent_count = models.PositiveIntegerField(_("shops ordering irregularly"))
    method_shop_count = models.PositiveIntegerField(_("shops where the method beats the baseline"))
    # Weekly amounts, oldest first: the history read, and each forecast over horizon_weeks.
    history = models.JSONField(_("weekly amounts"))
    method_weeks = models.JSONField(_("the method's weekly forecast"))
    baseline_weeks = models.JSONField(_("the baseline's weekly forecast"))

    class Meta:
        verbose_name = _("area forecast")
        verbose_name_plural = _("area forecasts")
        constraints = [
            models.UniqueConstraint(fields=["run", "service_area"], name="area_forecast_once_per_run"),
            models.UniqueConstraint(
                fields=["run"], condition=models.Q(service_area__isnull=True), name="area_forecast_one_company_row"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_area_id or 'company'} @ {self.run_id}"

    @property
    def weeks(self) -> list:
        return self.method_weeks if self.uses_method else self.baseline_weeks


class RiskRule(models.TextChoices):
    SPIKE = "spike", _("Order far above the shop's own recent orders")
    PEER_OUTLIER = "peer_outlier", _("Purchases far above similar shops of the region")
    UNLICENSED = "unlicensed", _("Ordered with an expired licence or while closed")
    REPEATED_FINDINGS = "repeated_findings", _("Repeated compliance findings")
    CROSS_TERRITORY = "cross_territory", _("Possible cross-territory goods (串货)")


class RiskFinding(models.Model):
    """A shop a risk rule picked out for 专卖 and supervisors to look at, with the numbers that
    made it fire. Found once per shop, rule and period (the refresh is idempotent)."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+", db_index=False)
    rule = models.CharField(_("rule"), max_length=20, choices=RiskRule.choices)
    # The week (its Monday) of the order, or the day of the latest finding, that the rule judged.
    period_start = models.DateField(_("period"))
    # The rule's figures (analytics.risk says them in words); `score` ranks the list (higher: worse).
    numbers = models.JSONField(_("figures"))
    score = models.FloatField(_("score"))
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("risk finding")
        verbose_name_plural = _("risk findings")
        permissions = [
            ("view_risk", _("Can see the compliance risk list")),
            ("review_risk", _("Can mark risk findings reviewed")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["retailer", "rule", "period_start"], name="risk_finding_once_per_period"),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | models.Q(reviewed_by__isnull=False),
                name="risk_finding_reviewed_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["period_start", "id"], name="risk_finding_period")]

    def __str__(self) -> str:
        return f"{self.retailer_id} {self.rule} {self.period_start}"
