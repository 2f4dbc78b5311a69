from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldServiceConfig(AppConfig):
    """Repair and installation jobs: the kernel's field service, with its own tables."""

    name = "aftersales.fieldservice"
    label = "fieldservice"
    verbose_name = _("Field service")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.cases.kinds import register_kind
        from aftersales.people.roles import ADMIN, AGENT, SUPERVISOR, grant_role

        from . import roles
        from .kind import INSTALL, REPAIR

        register_kind(REPAIR)
        register_kind(INSTALL)
        grant_role(AGENT, roles.AGENT_PERMISSIONS)
        grant_role(SUPERVISOR, roles.SUPERVISOR_PERMISSIONS)
        grant_role(ADMIN, roles.ADMIN_PERMISSIONS)
        grant_role(roles.DISPATCHER, roles.DISPATCHER_PERMISSIONS, label=_("Dispatcher"))
        grant_role(roles.TECHNICIAN, roles.TECHNICIAN_PERMISSIONS, label=_("Technician"))
