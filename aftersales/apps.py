from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales kernel")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Importing the clocks registers their policy cache with the calendar's change signal.
        import aftersales.sla.clocks  # noqa: F401
        from aftersales.people import crypto, keycheck
        from aftersales.people.roles import ensure_roles_after_migrate
        from aftersales.sla.calendar import watch_configuration

        post_migrate.connect(ensure_roles_after_migrate)
        watch_configuration()
        # A malformed FIELD_ENCRYPTION_KEY stops every process here; whether the key fits
        # the stored data is checked at start-up by keycheck (system check, wsgi, celery).
        crypto.configured_keys()
        post_migrate.connect(keycheck.ensure_canary_after_migrate, sender=self)
