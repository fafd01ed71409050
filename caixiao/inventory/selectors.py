"""Reads for warehouses and bin locations. Stock reads (balances, moves) join them here."""

from django.db.models import QuerySet

from caixiao.inventory.models import Location, Warehouse


def list_warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.select_related("manager")


def list_locations() -> QuerySet[Location]:
    return Location.objects.select_related("warehouse")
