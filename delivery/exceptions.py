from django.utils.translation import gettext_lazy as _

from aftersales.core.exceptions import DomainError


class ShipmentNotFound(DomainError):
    default_message = _("No shipment with this tracking number belongs to that order.")


class NotLate(DomainError):
    default_message = _("The parcel is not late against its promised delivery; no delay "
                        "compensation is due.")


class AlreadyOffered(DomainError):
    default_message = _("Delay compensation was already offered on this incident.")
