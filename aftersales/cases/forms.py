"""Form pieces shared by every kind of case."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.cases.uploads import allowed_upload_help, check_uploads
from aftersales.core.exceptions import InvalidUpload

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


