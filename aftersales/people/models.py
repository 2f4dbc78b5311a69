from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import DepartmentKind
from aftersales.people import crypto
from aftersales.people.fields import EncryptedModelMixin, EncryptedTextField


class Department(models.Model):
    """An organisational unit that handles cases or is held responsible for them."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=DepartmentKind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """Links a staff login to the department whose cases the person sees and handles."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.department or '-'})"


class Customer(EncryptedModelMixin, models.Model):
    """A consumer. Phone, e-mail and address are encrypted at rest and found by keyed hash."""

    name = models.CharField(_("name"), max_length=100)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    username = models.CharField(_("member username"), max_length=100, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    email_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.name} {self.masked_phone}".strip()

    def set_contact(self, *, phone: str = "", email: str = "") -> None:
        self.phone = crypto.normalize_phone(phone)
        self.email = crypto.normalize_email(email)
        self.phone_hash = crypto.lookup_hash(self.phone)
        self.email_hash = crypto.lookup_hash(self.email)

    @property
    def masked_phone(self) -> str:
        return crypto.mask_phone(self.phone) if self.phone else ""

    @property
    def masked_email(self) -> str:
        return crypto.mask_email(self.email) if self.email else ""

    @property
    def masked_contact(self) -> str:
        return self.masked_phone or self.masked_email


class EncryptionCanary(models.Model):
    """A known value encrypted with the field key, checked at start-up.

    A deployment started with a key that cannot decrypt it refuses to run instead of
    reading every contact as unreadable and overwriting them.
    """

    token = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("encryption key canary")
        verbose_name_plural = _("encryption key canaries")

    def __str__(self) -> str:
        return f"canary {self.pk}"
