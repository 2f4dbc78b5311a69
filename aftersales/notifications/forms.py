"""The staff member's notification preferences form."""

from django import forms

from aftersales.notifications.models import NotificationPreference


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_on_assignment", "email_on_sla", "email_digest"]
