from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from retailers.models import Retailer
from retailers.selectors import service_areas_visible_to
from retailers.services import PERSONAL_CARD_FIELDS, PROFILE_FIELDS, STRUCTURAL_FIELDS, retailer_editable_fields

DATE_FIELDS = ("license_issued_on", "license_expires_on", "partner_since", "birthday")
SECTIONS = (
    (_("Licence and assignment"), STRUCTURAL_FIELDS),
    (_("Profile"), PROFILE_FIELDS),
    (_("Personal card"), PERSONAL_CARD_FIELDS),
)


class RetailerForm(forms.ModelForm):
    """A dossier form holding only the fields the user may write (services.retailer_editable_fields)."""

    class Meta:
        model = Retailer
        fields = [*STRUCTURAL_FIELDS, *PROFILE_FIELDS, *PERSONAL_CARD_FIELDS]
        widgets = {
            **{name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for name in DATE_FIELDS},
            "family_notes": forms.Textarea(attrs={"rows": 2}),
            "circle_contacts": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(retailer_editable_fields(user=user))
        for name in list(self.fields):
            if name not in allowed:
                del self.fields[name]
        if "service_area" in self.fields:
            self.fields["service_area"].queryset = service_areas_visible_to(user)
        if "account_manager" in self.fields:
            self.fields["account_manager"].queryset = (
                self.fields["account_manager"].queryset.filter(groups__name="sales_manager").order_by("username")
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *(
                Fieldset(
                    title,
                    Div(*(Div(name, css_class="col-md-4") for name in names if name in self.fields), css_class="row"),
                )
                for title, names in SECTIONS
                if allowed & set(names)
            ),
            Submit("save", _("Save")),
        )

    def changed_data_dict(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class RetailerMergeForm(forms.Form):
    survivor = forms.ModelChoiceField(label=_("Surviving dossier"), queryset=Retailer.objects.none())
    duplicate = forms.ModelChoiceField(label=_("Duplicate to merge"), queryset=Retailer.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, retailers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = retailers
        self.fields["duplicate"].queryset = retailers

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("survivor") and cleaned.get("survivor") == cleaned.get("duplicate"):
            raise forms.ValidationError(_("Choose two different dossiers."))
        return cleaned
