from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from crm_site.roles import may_see_full_phones
from retailers.models import Retailer, ServiceArea
from retailers.selectors import account_manager_choices, account_manager_label, service_areas_visible_to
from retailers.services import PERSONAL_CARD_FIELDS, PROFILE_FIELDS, STRUCTURAL_FIELDS, retailer_editable_fields
from retailers.templatetags.retailer_tags import masked_phone

DATE_FIELDS = ("license_issued_on", "license_expires_on", "partner_since", "birthday")
PHONE_FIELDS = ("phone", "phone_alt")
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
            # Choosing another area refreshes the account-manager choices (same URL, htmx).
            self.fields["service_area"].widget.attrs.update(
                {
                    "hx-get": "",
                    "hx-trigger": "change",
                    "hx-select": "#div_id_account_manager",
                    "hx-target": "#div_id_account_manager",
                    "hx-swap": "outerHTML",
                }
            )
        if "account_manager" in self.fields:
            area = self._chosen_area()
            field = self.fields["account_manager"]
            field.queryset = account_manager_choices(
                areas=self.fields["service_area"].queryset if area is None else [area]
            )
            field.label_from_instance = account_manager_label
            field.error_messages["invalid_choice"] = _("Choose a sales manager of the shop's service area.")
        if "referred_by" in self.fields:
            # Typed as the referrer's licence number: a choice among every shop would be too long a list.
            self.fields["referred_by"] = forms.ModelChoiceField(
                queryset=Retailer.objects.exclude(pk=self.instance.pk),
                to_field_name="license_no",
                required=False,
                label=_("Referred by (licence number)"),
                widget=forms.TextInput(),
                error_messages={"invalid_choice": _("Referred by: no other shop has this licence number.")},
            )
            if self.instance.referred_by_id:
                self.initial["referred_by"] = self.instance.referred_by.license_no
        self.phones_hidden = bool(self.instance.pk) and not may_see_full_phones(user)
        if self.phones_hidden:
            # Never send a number the user may not read: the field starts empty, and empty keeps it.
            for name in PHONE_FIELDS:
                if name in self.fields:
                    self.initial[name] = ""
                    self.fields[name].required = False
                    self.fields[name].help_text = _("Now %(masked)s: leave empty to keep it.") % {
                        "masked": masked_phone(getattr(self.instance, name), may_see=False) or "—"
                    }
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

    def _chosen_area(self) -> ServiceArea | None:
        """The service area whose managers may be chosen: the one picked in this form (posted, or
        given as ?service_area= when the choice changes), else the shop's own; None on a new
        dossier before an area is picked. (Area and manager are both structural fields: a form
        has both or neither.)"""
        value = self.data.get(self.add_prefix("service_area")) if self.is_bound else self.initial.get("service_area")
        try:
            return self.fields["service_area"].clean(value) if value else None
        except forms.ValidationError:
            return None

    def _keep_hidden_phone(self, name: str) -> str:
        value = self.cleaned_data[name]
        return getattr(self.instance, name) if self.phones_hidden and not value else value

    def clean_phone(self) -> str:
        return self._keep_hidden_phone("phone")

    def clean_phone_alt(self) -> str:
        return self._keep_hidden_phone("phone_alt")

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


class RetailerPairForm(forms.Form):
    """Two dossiers of the user's scope, for "not a duplicate"."""

    first = forms.ModelChoiceField(queryset=Retailer.objects.none())
    second = forms.ModelChoiceField(queryset=Retailer.objects.none())

    def __init__(self, *args, retailers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first"].queryset = retailers
        self.fields["second"].queryset = retailers
