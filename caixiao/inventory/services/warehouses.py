"""Write services for warehouses and bin locations (master data)."""

from __future__ import annotations

from typing import Any

from caixiao.core import masterdata
from caixiao.inventory.models import Location, Warehouse


def create_warehouse(*, data: dict[str, Any], actor: Any) -> Warehouse:
    return masterdata.create_record(Warehouse, data=data, actor=actor)


def update_warehouse(*, instance: Warehouse, data: dict[str, Any], actor: Any) -> Warehouse:
    return masterdata.update_record(instance, data=data, actor=actor)


def create_location(*, data: dict[str, Any], actor: Any) -> Location:
    return masterdata.create_record(Location, data=data, actor=actor)


def update_location(*, instance: Location, data: dict[str, Any], actor: Any) -> Location:
    data = {k: v for k, v in data.items() if k != "warehouse_id"}  # a bin never moves between warehouses
    return masterdata.update_record(instance, data=data, actor=actor)
