"""Analytics' own summary tables, rebuilt from the order headers and lines by
analytics.services.analytics_refresh. Pages read these, never the raw order lines.

The shop and area columns are plain ids copied at refresh time (no foreign-key constraint): the
tables are derived data, rebuilt in bulk, and a merged or moved shop is set right by the next
full refresh. Amounts are sums; shares are computed when read, so that they add up over areas.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        indexes = [
            models.Index(fields=["week", "service_area_id"], name="analytics_shop_week_week"),
            # the standings read every shop's weeks in shop order from this index alone (no sort)
            models.Index(fields=["retailer_id", "week", "amount", "cartons"], name="analytics_shop_week_cover"),
        ]

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
