from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.followups.services import SurveyAnswer

RATING_CHOICES = [(i, str(i)) for i in range(5, 0, -1)]


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


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
