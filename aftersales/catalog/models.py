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
    # 7D Art. 7: the exclusion holds only when the customer confirmed it at checkout.
    exclusion_needs_confirmation = models.BooleanField(
        _("excluded only when confirmed at checkout"), default=False
    )
    sanbao_validity_months = models.PositiveSmallIntegerField(
        _("三包 validity (months)"), default=12
    )
    durable = models.BooleanField(_("durable goods"), default=False)
    installable = models.BooleanField(_("needs installation"), default=False)
    list_price = models.DecimalField(
        _("list price (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )

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
    seller_installs = models.BooleanField(_("seller installs"), default=False)
    shipping_fee_paid = models.DecimalField(
        _("shipping fee paid (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    shipping_fee_waived = models.DecimalField(
        _("shipping fee waived (yuan)"), max_digits=10, decimal_places=2,
        default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0.00"))],
    )
    free_shipping_threshold = models.DecimalField(
        _("free shipping threshold (yuan)"), max_digits=10, decimal_places=2,
        null=True, blank=True,
    )
    # 7D Art. 7: when the customer confirmed at checkout that the goods are not returnable.
    exclusion_confirmed_at = models.DateTimeField(
        _("no-return confirmed at checkout"), null=True, blank=True
    )

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        # Volumes per period (orders sold, orders delivered) for the rates of analytics.
        indexes = [
            models.Index(fields=["placed_at"], name="order_placed"),
            models.Index(fields=["signed_at"], name="order_signed",
                         condition=models.Q(signed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number


class OrderDeal(models.Model):
    """A bundle or threshold deal (满减 / 满赠) some lines of an order were bought under."""

    class Kind(models.TextChoices):
        BUNDLE = "BUNDLE", _("Bundle")
        THRESHOLD = "THRESHOLD", _("Spend threshold")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deals")
    code = models.CharField(_("deal"), max_length=64)
    kind = models.CharField(_("deal kind"), max_length=10, choices=Kind.choices)
    threshold = models.DecimalField(
        _("threshold (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("order deal")
        verbose_name_plural = _("order deals")
        constraints = [
            models.UniqueConstraint(fields=["order", "code"], name="orderdeal_order_code"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.code}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    # The item's own price, outside any deal.
    unit_price = models.DecimalField(
        _("unit price (yuan)"), max_digits=12, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    # What one unit actually cost after every discount; null: the unit price.
    unit_price_paid = models.DecimalField(
        _("price paid per unit (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    is_gift = models.BooleanField(_("gift"), default=False)
    gift_stated_price = models.DecimalField(
        _("gift's stated price (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    deal = models.ForeignKey(
        OrderDeal, on_delete=models.SET_NULL, null=True, blank=True, related_name="lines",
        verbose_name=_("deal"),
    )
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    # 三包 day 0 when the seller installs (domain §6).
    installed_at = models.DateTimeField(_("installed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="orderline_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["serial_number"], name="orderline_serial",
                         condition=~models.Q(serial_number="")),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} / {self.product.sku} × {self.quantity}"

    @property
    def price_paid(self) -> Decimal:
        return self.unit_price if self.unit_price_paid is None else self.unit_price_paid


class OrderPayment(models.Model):
    """One means by which an order was paid; a refund goes back the same way."""

    class Means(models.TextChoices):
        CARD = "CARD", _("Bank or credit card")
        WALLET = "WALLET", _("Wallet (Alipay, WeChat Pay)")
        BANK_TRANSFER = "BANK_TRANSFER", _("Bank transfer")
        CASH = "CASH", _("Cash")
        COUPON = "COUPON", _("Coupon")
        POINTS = "POINTS", _("Points")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    means = models.CharField(_("means"), max_length=16, choices=Means.choices)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    reference = models.CharField(_("transaction reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("order payment")
        verbose_name_plural = _("order payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="orderpayment_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.means} {self.amount}"


class ProductPrice(models.Model):
    """A product's price history: what it was offered at, from when (PRICE Art. 16–17)."""

    class Kind(models.TextChoices):
        LIST = "LIST", _("List price")
        DEAL = "DEAL", _("Deal price")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    kind = models.CharField(_("price kind"), max_length=4, choices=Kind.choices,
                            default=Kind.LIST)
    price = models.DecimalField(
        _("price (yuan)"), max_digits=12, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["product", "valid_from"]
        verbose_name = _("product price")
        verbose_name_plural = _("product prices")
        indexes = [
            models.Index(fields=["product", "valid_from"], name="productprice_product_from"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="productprice_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="productprice_period_forward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.kind} {self.price} @ {self.valid_from:%Y-%m-%d}"
