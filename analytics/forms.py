import datetime

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import RiskRule
from analytics.periods import Period, default_period, month_period, quarter_period, year_period

MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MAX_MONTHS = 36


class StyledForm(forms.Form):
    """Bootstrap's small controls on every field."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select form-select-sm" if select else "form-control form-control-sm"


class MonthField(forms.DateField):
    """A month typed as 2026-03 (the browser's month picker), read as its first day."""

    widget = MONTH_INPUT

    def __init__(self, **kwargs) -> None:
        super().__init__(input_formats=["%Y-%m", "%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class PeriodForm(StyledForm):
    """The period picker of every analytics page: a month, its quarter, its year, or from–to."""

    KINDS = (
        ("month", _("Month")),
        ("quarter", _("Quarter")),
        ("year", _("Year")),
        ("range", _("From – to")),
    )
    kind = forms.ChoiceField(label=_("Period"), choices=KINDS, required=False)
    month = MonthField(label=_("Month"), required=False)
    until = MonthField(label=_("To month"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "range":
            if not data.get("month") or not data.get("until"):
                raise forms.ValidationError(_("A period from–to needs both months."))
            if data["until"] < data["month"]:
                self.add_error("until", _("The last month comes before the first."))
            elif Period(data["month"], data["until"] + relativedelta(months=1)).months > MAX_MONTHS:
                self.add_error("until", _("A period covers at most %(n)s months.") % {"n": MAX_MONTHS})
        return data

    def period(self, today: datetime.date | None = None) -> Period:
        """The period asked for; the last complete month when nothing (or nothing valid) was."""
        today = today or timezone.localdate()
        if not self.is_valid() or not self.cleaned_data.get("month"):
            return default_period(today)
        month, kind = self.cleaned_data["month"], self.cleaned_data.get("kind") or "month"
        if kind == "range":
            return Period(month, self.cleaned_data["until"] + relativedelta(months=1))
        return {"quarter": quarter_period, "year": year_period}.get(kind, month_period)(month)


class ChurnSettingsForm(StyledForm):
    """The two thresholds of the churn list (流失预警)."""

    drop = forms.IntegerField(
        label=_("Fall of at least (%)"),
        min_value=5,
        max_value=100,
        initial=30,
        required=False,
        help_text=_("The last 8 weeks' weekly mean against the 44 weeks before them."),
    )
    silent = forms.IntegerField(
        label=_("Or silent for (weeks)"),
        min_value=1,
        max_value=52,
        initial=4,
        required=False,
        help_text=_("No order in this many complete weeks."),
    )

    def settings(self) -> tuple[int, int]:
        """(drop %, silent weeks): the initial values for any field left empty or refused."""
        data = self.cleaned_data if self.is_valid() else {}
        drop = data.get("drop") or self.fields["drop"].initial
        silent = data.get("silent") or self.fields["silent"].initial
        return drop, silent


class BrandForm(PeriodForm):
    """The brand preference page: the period and, optionally, one of the user's service areas."""

    area = forms.TypedChoiceField(label=_("Service area"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, area_names: dict[int, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(area_names.items(), key=lambda item: item[1])
        self.fields["area"].choices = [("", _("All my areas")), *choices]

    def area_id(self) -> int | None:
        return self.cleaned_data.get("area") if self.is_valid() else None


class MeasureFilterForm(StyledForm):
    """Shops filtered by the four measures (客户"四度")."""

    tier = forms.ChoiceField(label=_("Tier"), required=False)
    min_weeks = forms.IntegerField(label=_("Weeks ordered of 52, at least"), min_value=0, max_value=52, required=False)
    min_contribution = forms.DecimalField(
        label=_("Contribution (%), at least"), min_value=0, max_value=100, decimal_places=3, required=False
    )
    min_dependency = forms.DecimalField(
        label=_("Dependency (%), at least"), min_value=0, max_value=100, decimal_places=1, required=False
    )
    min_csat = forms.DecimalField(label=_("CSAT (%), at least"), min_value=0, max_value=100, required=False)

    def __init__(self, *args, **kwargs) -> None:
        from retailers.models import Tier

        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Every tier")), *Tier.choices]

    def filters(self) -> dict:
        """The valid filters; a refused one is left out (the form shows why)."""
        if self.is_valid():
            return self.cleaned_data
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if name not in self.errors}


class ForecastViewForm(forms.Form):
    """Which forecast the page shows: the user's whole scope (the areas of one region at a time
    for those who see the whole company), one service area or one shop."""

    region = forms.IntegerField(label=_("Region"), required=False, min_value=1, max_value=2**63 - 1)
    area = forms.IntegerField(label=_("Service area"), required=False, min_value=1, max_value=2**63 - 1)
    shop = forms.IntegerField(label=_("Shop"), required=False, min_value=1, max_value=2**63 - 1)


class RiskFilterForm(forms.Form):
    REVIEWED_CHOICES = (("", _("All")), ("no", _("Not reviewed")), ("yes", _("Reviewed")))

    rule = forms.ChoiceField(label=_("Rule"), required=False, choices=[("", _("All rules")), *RiskRule.choices])
    reviewed = forms.ChoiceField(label=_("Review"), required=False, choices=REVIEWED_CHOICES)


class RiskReviewForm(forms.Form):
    finding = forms.IntegerField(label=_("Finding"), min_value=1, max_value=2**63 - 1)
    note = forms.CharField(
        label=_("Review note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
