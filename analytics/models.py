"""Analytics' own tables: written only by analytics' services, read by its pages."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from retailers.models import Retailer, ServiceArea

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
