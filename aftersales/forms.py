"""Form pieces shared by every kind of case."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidUpload
from .followups import SurveyAnswer
from .uploads import allowed_upload_help, check_uploads

RATING_CHOICES = [(i, str(i)) for i in range(5, 0, -1)]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
PHONE_RE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(value: str) -> None:
    if value and not PHONE_RE.match(value.replace(" ", "")):
        raise ValidationError(
            _("Enter a mainland China mobile number (11 digits, e.g. 13812345678) "
              "or a landline with area code (e.g. 010-12345678)."),
            code="phone",
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files; type and size are checked on the content."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Evidence files"))
        kwargs.setdefault("help_text", allowed_upload_help)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/*,application/pdf,video/*")

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files if item]
        try:
            return check_uploads(cleaned)
        except InvalidUpload as error:
            raise ValidationError(str(error.message), code="upload") from error


class HoneypotMixin(forms.Form):
    """A field people never see and bots fill in."""

    website = forms.CharField(
        required=False, label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class SurveyForm(forms.Form):
    """Satisfaction 1–5 on four dimensions, resolved yes/no, a comment."""

    rating = forms.TypedChoiceField(
        label=_("Overall satisfaction"), choices=RATING_CHOICES, coerce=int,
        widget=forms.RadioSelect, help_text=_("5 = very satisfied, 1 = very dissatisfied"),
    )
    rating_attitude = forms.TypedChoiceField(
        label=_("Service attitude"), choices=RATING_CHOICES, coerce=int,
        widget=forms.RadioSelect,
    )
    rating_timeliness = forms.TypedChoiceField(
        label=_("Timeliness"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect,
    )
    rating_result = forms.TypedChoiceField(
        label=_("Handling result"), choices=RATING_CHOICES, coerce=int,
        widget=forms.RadioSelect,
    )
    problem_solved = forms.ChoiceField(
        label=_("Was your problem solved?"), choices=YES_NO, widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required if your problem is not solved or you are not satisfied."),
    )

    def clean(self):
        data = super().clean()
        if not self.errors:
            answer = self.answer()
            if not answer.satisfied and not answer.comment:
                self.add_error("comment", _("Please tell us what is still wrong."))
        return data

    def answer(self) -> SurveyAnswer:
        data = self.cleaned_data
        return SurveyAnswer(
            rating=data["rating"], rating_attitude=data["rating_attitude"],
            rating_timeliness=data["rating_timeliness"], rating_result=data["rating_result"],
            problem_solved=data["problem_solved"] == "yes",
            comment=data.get("comment", "").strip(),
        )
