from decimal import Decimal

import factory

from caixiao.catalog.models import Category, Product, Unit


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CAT{n:03d}")
    name = factory.Sequence(lambda n: f"类别{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = "PCS"
    name = "个"
    decimals = 0


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    category = factory.SubFactory(CategoryFactory)
    base_unit = factory.SubFactory(UnitFactory)
    purchase_price = Decimal("10.00")
    sale_price = Decimal("15.00")
