from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    """The compensation ledger every kind of case writes to."""

    name = "aftersales.compensation"
    label = "compensation"
    verbose_name = _("Compensation")
    default_auto_field = "django.db.models.BigAutoField"
