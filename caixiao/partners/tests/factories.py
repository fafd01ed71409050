from decimal import Decimal

import factory

from caixiao.catalog.tests.factories import ProductFactory
from caixiao.partners.models import (
    Address,
    Contact,
    Customer,
    CustomerCategory,
    PaymentTerm,
    PriceBreak,
    Region,
    Supplier,
    SupplierPrice,
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.Sequence(lambda n: f"区域{n}")


class PaymentTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentTerm

    code = factory.Sequence(lambda n: f"NET{n:03d}")
    name = factory.Sequence(lambda n: f"月结{n}")
    days = 30


class CustomerCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerCategory

    code = factory.Sequence(lambda n: f"CC{n:03d}")
    name = factory.Sequence(lambda n: f"客户类别{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    category = factory.SubFactory(CustomerCategoryFactory)
    region = factory.SubFactory(RegionFactory)
    credit_limit = Decimal("100000.00")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"供应商{n}")


class ContactFactory(factory.django.DjangoModelFactory):
    """A customer contact; pass ``customer=None, supplier=...`` for a supplier contact."""

    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    supplier = None
    name = factory.Sequence(lambda n: f"联系人{n}")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    recipient = "张三"
    province = "浙江省"
    city = "杭州市"
    street = factory.Sequence(lambda n: f"文三路{n}号")


class SupplierPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierPrice

    supplier = factory.SubFactory(SupplierFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("9.50")


class PriceBreakFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceBreak

    supplier_price = factory.SubFactory(SupplierPriceFactory)
    min_quantity = Decimal("100")
    unit_price = Decimal("9.00")
