from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import SaleChannel
from aftersales.people.models import Customer


class Product(models.Model):
    """A sellable item (SKU) with the facts the return and 三包 rules need."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("product category"), max_length=100, blank=True)
    model_number = models.CharField(_("model"), max_length=100, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty months"), default=12)
    in_sanbao_catalogue = models.BooleanField(_("in 三包 catalogue"), default=False)
    no_reason_return_excluded = models.BooleanField(
        _("excluded from 7-day no-reason return"), default=False
    )
    durable = models.BooleanField(_("durable goods"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Order(models.Model):
    """A customer's order as the shop recorded it."""

    number = models.CharField(_("order number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    sale_channel = models.CharField(
        _("sale channel"), max_length=10, choices=SaleChannel.choices, default=SaleChannel.DISTANCE
    )
    placed_at = models.DateTimeField(_("placed at"))
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(
        _("unit price (yuan)"), max_digits=12, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="orderline_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} / {self.product.sku} × {self.quantity}"
