from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.models import RiskRule


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
