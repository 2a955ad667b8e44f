from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from grading.models import ELIGIBILITY_FIELDS, SPLIT_FIELDS, WEIGHT_FIELDS, GradingPolicy, ServicePolicy, TierOverride


def _columns(names: list[str]) -> Div:
    return Div(*(Div(name, css_class="col-md-4 col-lg-3") for name in names), css_class="row")


class GradingPolicyForm(forms.ModelForm):
    class Meta:
        model = GradingPolicy
        fields = [*WEIGHT_FIELDS, *SPLIT_FIELDS, *ELIGIBILITY_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Weights (points out of 100)"), _columns(WEIGHT_FIELDS)),
            Fieldset(_("Split and levels"), _columns(SPLIT_FIELDS)),
            Fieldset(_("Who is graded, and when"), _columns(ELIGIBILITY_FIELDS)),
            Submit("save", _("Save")),
        )


class ServicePolicyForm(forms.ModelForm):
    class Meta:
        model = ServicePolicy
        fields = [
            "visit_interval_days", "complaint_response_minutes", "complaint_resolution_hours",
            "scarce_priority_weight", "points_multiplier", "survey_interval_days",
        ]  # fmt: skip


ServicePolicyFormSet = forms.modelformset_factory(ServicePolicy, form=ServicePolicyForm, extra=0)


class TierOverrideForm(forms.ModelForm):
    class Meta:
        model = TierOverride
        fields = ["tier", "reason", "expires_on"]
        widgets = {
            "tier": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
