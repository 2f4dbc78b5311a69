from django.utils.translation import gettext_lazy as _

from aftersales.core.exceptions import DomainError


class ConsentMissing(DomainError):
    default_message = _(
        "The customer has not agreed to this offer yet; nothing is executed before consent.")


class OfferChanged(DomainError):
    default_message = _(
        "The offer was changed after this page was opened. Please look at the current offer.")


class AboveLimit(DomainError):
    default_message = _("This amount is above what your role may approve.")


class OwnLine(DomainError):
    default_message = _("You proposed this compensation; someone else must approve it.")


class InvalidOffer(DomainError):
    default_message = _("The offer is not valid.")
