from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.models import EarnRule, RedemptionStatus, Reward
from retailers.models import Tier

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EarnRuleForm(forms.ModelForm):
    class Meta:
        model = EarnRule
        fields = ["kind", "points", "price_class", "new_product_days", "valid_from", "valid_to"]
        widgets = {"valid_from": DATE, "valid_to": DATE}


class RewardForm(forms.ModelForm):
    eligible_tiers = forms.MultipleChoiceField(
        label=_("Tiers that may redeem"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every shop."),
    )

    class Meta:
        model = Reward
        fields = ["name", "description", "points_price", "stock", "valid_from", "valid_to", "eligible_tiers"]
        widgets = {"valid_from": DATE, "valid_to": DATE, "description": forms.Textarea(attrs={"rows": 2})}


class RedemptionFileForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("Reward"), queryset=Reward.objects.none())

    def __init__(self, *args, rewards, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = Reward.objects.filter(pk__in=[reward.pk for reward in rewards])


class RedemptionMoveForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=RedemptionStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"), min_value=-1_000_000, max_value=1_000_000, help_text=_("Negative to take points away.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
