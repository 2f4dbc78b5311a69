"""Domain errors. Their message is translatable and meant for the person who acted."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    default_message = _("The action could not be completed.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class TransitionRefused(DomainError):
    default_message = _("This action is not possible in the case's current state.")


class PermissionRefused(DomainError):
    default_message = _("Your role does not allow this action.")


class ConcurrentChange(DomainError):
    default_message = _(
        "This case was changed by someone else in the meantime. "
        "The page now shows the current state; check it and try again."
    )


class CaseReadOnly(DomainError):
    default_message = _("This case is archived and read-only; it can only be reopened.")


class InvalidUpload(DomainError):
    default_message = _("The file could not be accepted.")
