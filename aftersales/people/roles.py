"""Staff roles as Django groups, each with the permissions its work needs (domain.md §2)."""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

AGENT = "agent"
HANDLER = "handler"
SUPERVISOR = "supervisor"
ADMIN = "admin"

ROLE_LABELS = {
    AGENT: _("Customer service agent"),
    HANDLER: _("Department handler"),
    SUPERVISOR: _("Supervisor"),
    ADMIN: _("Administrator"),
}

_AGENT = [
    "aftersales.view_all_tickets",
    "aftersales.add_note",
    "aftersales.confirm_contact",
    "analytics.view_ledger",
    "complaints.register_complaint",
    "complaints.accept_complaint",
    "complaints.classify_complaint",
    "complaints.reply_complaint",
    "complaints.archive_complaint",
    "complaints.reopen_complaint",
    "complaints.escalate_complaint",
]
_HANDLER = [
    "aftersales.add_note",
    "analytics.view_ledger",
    "analytics.view_dashboard",
    "complaints.handle_complaint",
    "complaints.escalate_complaint",
]
_SUPERVISOR = sorted(
    {
        *_AGENT,
        *_HANDLER,
        "complaints.reject_complaint",
        "complaints.approve_plan",
        "complaints.reopen_archived_complaint",
        "aftersales.reassign_ticket",
    }
)
_ADMIN_MODELS = ["department", "staffprofile", "product", "order", "orderline", "cannedresponse",
                 "slapolicy", "workingperiod", "calendarday", "calendaryear"]
_ADMIN = sorted(
    {
        *_SUPERVISOR,
        *(f"aftersales.{action}_{model}" for model in _ADMIN_MODELS
          for action in ("add", "change", "view", "delete")),
        "auth.view_user", "auth.add_user", "auth.change_user",
        "aftersales.view_customer", "aftersales.change_customer", "aftersales.view_notification",
    }
)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _AGENT,
    HANDLER: _HANDLER,
    SUPERVISOR: _SUPERVISOR,
    ADMIN: _ADMIN,
}


def grant_role(role: str, permissions: list[str], *, label=None) -> None:
    """Add a role, or permissions to one; a domain app calls this from ``ready()``.

    A role given a label for the first time is created; the groups are brought up to date
    on the next ``migrate`` (or ``ensure_roles()``).
    """
    if role not in ROLE_PERMISSIONS:
        if label is None:
            raise ValueError(f"a new role needs a label: {role}")
        ROLE_PERMISSIONS[role] = []
    if label is not None:
        ROLE_LABELS[role] = label
    known = set(ROLE_PERMISSIONS[role])
    ROLE_PERMISSIONS[role] = sorted(known | set(permissions))


def ensure_roles_after_migrate(app_config, **kwargs) -> None:
    # Permissions are created app by app; the roles need all of them, so wait for the last.
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is with_models[-1]:
        ensure_roles()


def ensure_roles() -> None:
    """Create or update the role groups. Safe to run on every migrate."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)


def user_roles(user) -> list[str]:
    return [g.name for g in user.groups.all() if g.name in ROLE_PERMISSIONS]
