from django.db.models import QuerySet

from caixiao.catalog.models import Category, Product, ProductUnit, Unit


def list_categories() -> QuerySet[Category]:
    return Category.objects.select_related("parent")


def list_units() -> QuerySet[Unit]:
    return Unit.objects.all()


def list_products() -> QuerySet[Product]:
    return Product.objects.select_related("category", "base_unit", "buyer")


def list_product_units() -> QuerySet[ProductUnit]:
    return ProductUnit.objects.select_related("product", "unit", "product__base_unit")


def find_by_barcode(code: str) -> Product | None:
    """A product by its code, its barcode, or the barcode of one of its units (scan boxes, W1/O4)."""
    code = (code or "").strip()
    if not code:
        return None
    product = list_products().filter(code=code.upper()).first() or list_products().filter(barcode=code).first()
    if product is None:
        unit = ProductUnit.objects.select_related("product").filter(barcode=code).first()
        product = unit.product if unit else None
    return product
