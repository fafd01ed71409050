"""Warehouse master data: warehouses and their bin locations (库位). Stock endpoints live in their own
router."""

from datetime import datetime

from ninja import Field, FilterSchema, Router, Schema

from caixiao.api.crud import Id, Resource, register
from caixiao.inventory import selectors, services
from caixiao.inventory.models import Location, Warehouse

router = Router(tags=["inventory"])


# Warehouses ------------------------------------------------------------------------------------
class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    address: str
    manager_id: int | None
    manager_name: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_manager_name(obj: Warehouse) -> str | None:
        return str(obj.manager) if obj.manager is not None else None


class WarehouseIn(Schema):
    code: str = Field(..., min_length=1, max_length=32, description="unique; upper-case letters, digits, . _ -")
    name: str = Field(..., min_length=1, max_length=200)
    address: str = Field("", max_length=300)
    manager_id: Id | None = None


class WarehousePatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=300)
    manager_id: Id | None = None


class WarehouseFilter(FilterSchema):
    manager_id: Id | None = None
    is_active: bool | None = None


register(router, Resource(Warehouse, "warehouses", WarehouseOut, WarehouseIn, WarehousePatch, WarehouseFilter,
                          search_fields=("code", "name", "address"),
                          queryset=lambda r: selectors.list_warehouses(), create=services.create_warehouse,
                          update=services.update_warehouse, tag="warehouses"))


# Bin locations ---------------------------------------------------------------------------------
class LocationOut(Schema):
    id: int
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    code: str
    name: str
    barcode: str
    is_active: bool
    updated_at: datetime


class LocationIn(Schema):
    warehouse_id: Id
    code: str = Field(..., min_length=1, max_length=32, description="unique within the warehouse, e.g. A-01-03")
    name: str = Field("", max_length=100)
    barcode: str = Field("", max_length=64)


class LocationPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, max_length=100)
    barcode: str | None = Field(None, max_length=64)


class LocationFilter(FilterSchema):
    warehouse_id: Id | None = None
    is_active: bool | None = None
    barcode: str | None = None


register(router, Resource(Location, "locations", LocationOut, LocationIn, LocationPatch, LocationFilter,
                          search_fields=("code", "name", "barcode"),
                          ordering_fields=("code", "name", "created_at", "updated_at", "id"),
                          queryset=lambda r: selectors.list_locations(), create=services.create_location,
                          update=services.update_location, tag="bin locations"))
