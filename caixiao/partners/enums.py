from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierRating(models.TextChoices):
    A = "A", _("A – strategic")
    B = "B", _("B – preferred")
    C = "C", _("C – approved")
    D = "D", _("D – on probation")


class PaymentBasis(models.TextChoices):
    INVOICE = "invoice", _("From invoice date")
    MONTH_END = "month_end", _("From month end")
    PREPAID = "prepaid", _("Prepayment")
