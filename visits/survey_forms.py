"""Forms of the survey pages: the results' period, the invitations' filter, and the public answer
form built from a questionnaire version's questions."""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits.models import InvitationStatus, Question, QuestionType, SurveyKind

MONTH_INPUT = {"type": "month", "class": "form-control form-control-sm"}


class MonthField(forms.DateField):
    """A month typed as YYYY-MM (an <input type=month>), as its first day."""

    input_formats = ["%Y-%m"]

    def __init__(self, **kwargs) -> None:
        super().__init__(widget=forms.DateInput(attrs=MONTH_INPUT, format="%Y-%m"), **kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day and not datetime.date(2000, 1, 1) <= day <= datetime.date(2100, 12, 1):
            raise forms.ValidationError(_("Pick a month between 2000 and 2100."), code="range")
        return day


class ResultsPeriodForm(forms.Form):
    """The results' months, from `start` to `end` included (default: the last six months)."""

    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    region = forms.ModelChoiceField(label=_("Region"), queryset=None, required=False, empty_label=_("All regions"))

    def __init__(self, *args, regions=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def chosen_region(self):
        return self.cleaned_data.get("region") if self.is_valid() else None

    def period(self) -> tuple[datetime.date, datetime.date]:
        this_month = timezone.localdate().replace(day=1)
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or this_month
        start = data.get("start") or end - relativedelta(months=5)
        if start > end:
            start, end = end, start
        return start, end + relativedelta(months=1) - datetime.timedelta(days=1)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and (end.year - start.year) * 12 + end.month - start.month > 35:
            raise forms.ValidationError(_("Pick at most 36 months."), code="too_long")
        return data


class InvitationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *InvitationStatus.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *SurveyKind.choices])


RATING_CHOICES = [(str(n), str(n)) for n in range(1, 6)]
NPS_CHOICES = [(str(n), str(n)) for n in range(11)]


class SurveyAnswerForm(forms.Form):
    """One field per question (`q<id>`); the service checks the same rules again when it saves."""

    def __init__(self, *args, questions: list[Question], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, question in enumerate(questions, start=1):
            label = f"{number}. {question.text}"
            required_message = _("Please answer question %(number)s, “%(question)s”.") % {
                "number": number,
                "question": question.text,
            }
            errors = {"required": required_message, "invalid_choice": required_message}
            common = {"label": label, "required": question.required, "error_messages": errors}
            if question.type == QuestionType.RATING:
                field = forms.ChoiceField(choices=RATING_CHOICES, widget=forms.RadioSelect, **common)
            elif question.type == QuestionType.NPS:
                field = forms.ChoiceField(choices=NPS_CHOICES, widget=forms.RadioSelect, **common)
            elif question.type == QuestionType.CHOICE:
                options = [(option, option) for option in question.option_list]
                field = forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
            else:
                errors["max_length"] = _("Question %(number)s, “%(question)s”: at most 1,000 characters, please.") % {
                    "number": number,
                    "question": question.text,
                }
                field = forms.CharField(
                    max_length=1000,
                    widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
                    **common,
                )
            field.question = question
            field.number = number
            self.fields[f"q{question.pk}"] = field
