import re
from decimal import Decimal, InvalidOperation

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grading.models import (
    ELIGIBILITY_FIELDS,
    SPLIT_FIELDS,
    WEIGHT_FIELDS,
    Allocation,
    AllocationRuleSet,
    GradingPolicy,
    PeriodKind,
    ServicePolicy,
    TierOverride,
)
from retailers.models import BusinessType, ComplianceKind, MarketType, PriceClass, Product, Region, Tier


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


# ---------------------------------------------------------------------------------------------
# Scarce-supply allocation.

MAX_CARTONS = 10_000_000
_NUMBER = r"(\d+(?:\.\d+)?)"


def _number(text: str) -> float:
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text}) from error
    return int(value) if value == value.to_integral_value() else float(value)


class QuotaTableField(forms.CharField):
    """The quota table as lines “from–to: quota” or “level: quota” (e.g. “21-30: 3”), kept as
    {"<档位>": quota}; shown back compressed into runs of equal quotas."""

    widget = forms.Textarea(attrs={"rows": 6, "class": "font-monospace"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return quota_table_text(value)
        return value

    def to_python(self, value) -> dict:
        text = super().to_python(value) or ""
        table: dict[str, float] = {}
        for number, raw in enumerate(text.replace("：", ":").replace("－", "-").replace("–", "-").splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            match = re.fullmatch(r"(\d{1,3})\s*(?:-\s*(\d{1,3}))?\s*:\s*" + _NUMBER, line)
            if not match:
                message = _("Line %(number)s: write “from-to: quota” or “level: quota”, e.g. “21-30: 3”.")
                raise ValidationError(message % {"number": number})
            first, last = int(match[1]), int(match[2] or match[1])
            if not 1 <= first <= last <= 100:
                raise ValidationError(_("Line %(number)s: levels run from 1 to 100, low to high.") % {"number": number})
            for level in range(first, last + 1):
                table[str(level)] = _number(match[3])
        return table


def quota_table_text(table: dict) -> str:
    runs: list[list] = []
    for level in sorted(int(key) for key in table):
        value = table[str(level)]
        if runs and runs[-1][1] == level - 1 and runs[-1][2] == value:
            runs[-1][1] = level
        else:
            runs.append([level, level, value])
    return "\n".join(f"{a}-{b}: {v}" if a != b else f"{a}: {v}" for a, b, v in runs)


class KeyedNumbersField(forms.CharField):
    """Lines “key: number”, where a key is one of `choices` (given by its value or its label);
    kept as {"<value>": number}. Without choices any key (e.g. a licence number) is taken."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "font-monospace"})

    def __init__(self, *args, choices=None, whole: bool = False, licence_keys: bool = False, **kwargs) -> None:
        self.choices = choices
        self.whole = whole
        self.licence_keys = licence_keys
        super().__init__(*args, **kwargs)

    def _choices(self) -> dict[str, str]:
        return dict(self.choices()) if callable(self.choices) else dict(self.choices or {})

    def prepare_value(self, value):
        if isinstance(value, dict):
            labels = self._choices()
            return "\n".join(f"{labels.get(key, key)}: {number}" for key, number in value.items())
        return value

    def to_python(self, value) -> dict:
        text = (super().to_python(value) or "").replace("\x00", "")
        labels = self._choices()
        by_label = {str(label): key for key, label in labels.items()}
        result: dict[str, float] = {}
        for number, raw in enumerate(text.replace("：", ":").splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            key, _colon, amount = line.rpartition(":")
            key, amount = key.strip(), amount.strip()
            if not key or not re.fullmatch(_NUMBER, amount):
                raise ValidationError(_("Line %(number)s: write “name: number”.") % {"number": number})
            if self.licence_keys and not re.fullmatch(r"[0-9A-Za-z]{1,15}", key):
                message = _("Line %(number)s: “%(key)s” is not a licence number.")
                raise ValidationError(message % {"number": number, "key": key})
            if labels:
                key = by_label.get(key, key)
                if key not in labels:
                    raise ValidationError(
                        _("Line %(number)s: “%(key)s” is none of: %(known)s.")
                        % {"number": number, "key": key, "known": "、".join(str(v) for v in labels.values())}
                    )
            value = _number(amount)
            if self.whole and not isinstance(value, int):
                raise ValidationError(_("Line %(number)s: whole cartons only.") % {"number": number})
            result[str(key)] = value
        return result


def _region_choices():
    return [(str(pk), name) for pk, name in Region.objects.values_list("pk", "name")]


class AllocationRuleSetForm(forms.ModelForm):
    quotas = QuotaTableField(
        label=_("Quota per level"),
        help_text=_("One line per run of levels: “from-to: quota”, e.g. “1-5: 0” and “21-30: 3”."),
    )
    group_shares = KeyedNumbersField(
        label=_("Share of each group"),
        required=False,
        help_text=_(
            "For the modes within a business type, market type or region: “group: share”, e.g. “便利店: 40”. "
            "Empty: the groups share in proportion to their demand."
        ),
    )
    named_quantities = KeyedNumbersField(
        label=_("Named shops and their cartons"),
        required=False,
        whole=True,
        licence_keys=True,
        help_text=_("For 选点定量: “licence number: cartons”, one shop a line."),
    )
    price_classes = forms.TypedMultipleChoiceField(
        label=_("Price classes (价位段)"), choices=PriceClass.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    excluded_finding_kinds = forms.MultipleChoiceField(
        label=_("Findings that exclude"), choices=ComplianceKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    included_tiers = forms.MultipleChoiceField(
        label=_("Tiers included (none: all)"), choices=Tier.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    excluded_business_types = forms.MultipleChoiceField(
        label=_("Business types excluded"), choices=BusinessType.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions included (none: all)"), queryset=Region.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = AllocationRuleSet
        fields = [
            "name", "mode", "quota_kind", "quotas", "use_priority_weight", "history_source", "history_weeks",
            "history_floor", "cap_per_shop", "price_classes", "group_shares", "named_quantities", "require_active",
            "require_valid_licence", "excluded_finding_kinds", "finding_months", "included_tiers",
            "excluded_business_types", "regions",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        shares = data.get("group_shares") or {}
        mode = data.get("mode")
        choices = {
            "business_type": dict(BusinessType.choices),
            "market_type": dict(MarketType.choices),
            "region": dict(_region_choices()),
        }.get(mode)
        if shares and choices is not None:
            by_label = {str(label): key for key, label in choices.items()}
            resolved = {}
            for key, value in shares.items():
                key = by_label.get(key, key)
                if key not in choices:
                    self.add_error("group_shares", _("“%(key)s” is not a group of this mode.") % {"key": key})
                    return data
                resolved[key] = value
            data["group_shares"] = resolved
        return data


class AllocationCreateForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Scarce product"),
        queryset=Product.objects.filter(is_scarce=True, is_active=True).order_by("brand", "name"),
    )
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.WEEK)
    period_start = forms.DateField(
        label=_("A day of the period"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    cartons = forms.IntegerField(label=_("Cartons available"), min_value=0, max_value=MAX_CARTONS)
    rule_set = forms.ModelChoiceField(label=_("Rule set"), queryset=AllocationRuleSet.objects.all())


class AllocationUpdateForm(forms.ModelForm):
    cartons = forms.IntegerField(label=_("Cartons available"), min_value=0, max_value=MAX_CARTONS)

    class Meta:
        model = Allocation
        fields = ["cartons", "rule_set"]


class AllocationCorrectForm(forms.Form):
    cartons = forms.IntegerField(label=_("Cartons available"), min_value=0, max_value=MAX_CARTONS)
    rule_set = forms.ModelChoiceField(label=_("Rule set"), queryset=AllocationRuleSet.objects.all())
    note = forms.CharField(label=_("Reason for the correction"), max_length=200)


class AllocationLineSearchForm(forms.Form):
    q = forms.CharField(label=_("Licence number or shop name"), required=False, max_length=50)
    only = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All shops")),
            ("allocated", _("Shops with cartons")),
            ("excluded", _("Excluded shops")),
            ("changed", _("Changed since the previous draft")),
            ("capped", _("Held at the cap")),
        ],
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"].replace("\x00", "").strip()
