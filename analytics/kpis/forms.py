"""The dashboard's filter bar and the monthly report's month picker."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Channel, Severity, TicketKind
from aftersales.models import Department
from complaints.choices import Category

from .selectors import Filters, month_range


def _blank(choices) -> list:
    return [("", _("All")), *choices]


def parse_month(value: str) -> date | None:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (ValueError, AttributeError):
        return None


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        return month


class DashboardFilterForm(forms.Form):
    """Period (a month, or a range of days) and the dimensions to narrow the KPIs to."""

    month = MonthField(label=_("Month"), required=False)
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind of case"), required=False,
                             choices=_blank(TicketKind.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=_blank(Channel.choices))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=_blank(Category.choices))
    department = forms.ModelChoiceField(label=_("Department"), required=False,
                                        empty_label=_("All"), queryset=Department.objects.none())
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=_blank(Severity.choices))

    def __init__(self, *args, department_id: int | None = None, scoped: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("name")
        if scoped:
            departments = departments.filter(pk=department_id or -1)
            self.fields["department"].disabled = True
            self.fields["department"].initial = department_id
        self.fields["department"].queryset = departments
        for fld in self.fields.values():
            select = isinstance(fld.widget, forms.Select)
            fld.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if select else "form-control form-control-sm")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def period(self) -> tuple[date, date]:
        """The chosen range: explicit dates, else the month, else the current month."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            return start, end
        month = data.get("month") or timezone.localdate().replace(day=1)
        return month_range(month)

    def filters(self) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        department = data.get("department")
        return Filters(kind=data.get("kind") or "", channel=data.get("channel") or "",
                       category=data.get("category") or "",
                       department=department.pk if department else None,
                       severity=data.get("severity") or "")


class ReportRequestForm(forms.Form):
    month = MonthField(label=_("Month"))

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month > timezone.localdate():
            raise forms.ValidationError(_("Choose a month that has started."))
        return month
