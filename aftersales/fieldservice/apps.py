from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldServiceConfig(AppConfig):
    """Repair and installation jobs: the kernel's field service, with its own tables."""

    name = "aftersales.fieldservice"
    label = "fieldservice"
    verbose_name = _("Field service")
    default_auto_field = "django.db.models.BigAutoField"
