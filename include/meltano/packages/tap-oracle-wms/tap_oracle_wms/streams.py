"""One stream class per supported lgfapi entity (the stream is named after its entity).

Everything else (schema from describe/, window filters, paging, flattening, facility and
company filters when the entity has those fields) comes from `WMSStream`.
"""

from __future__ import annotations

from tap_oracle_wms.client import WMSStream


class AllocationStream(WMSStream):
    """Inventory allocated to order lines (no facility_id/company_id of its own)."""

    entity = "allocation"


class OrderHdrStream(WMSStream):
    """Outbound order headers."""

    entity = "order_hdr"


class OrderDtlStream(WMSStream):
    """Outbound order lines; joined to headers through `order_id`."""

    entity = "order_dtl"


class OrderStatusStream(WMSStream):
    """Lookup of order `status_id` codes."""

    entity = "order_status"


class AllocationStatusStream(WMSStream):
    """Lookup of allocation `status_id` codes."""

    entity = "allocation_status"


class FacilityStream(WMSStream):
    """Warehouses (facilities)."""

    entity = "facility"


class CompanyStream(WMSStream):
    """Companies (owners of inventory and orders)."""

    entity = "company"


class ItemStream(WMSStream):
    """Item master."""

    entity = "item"


class LocationStream(WMSStream):
    """Storage locations of a facility."""

    entity = "location"


class InventoryStream(WMSStream):
    """Inventory by location and container."""

    entity = "inventory"


STREAM_TYPES: tuple[type[WMSStream], ...] = (
    AllocationStream,
    OrderHdrStream,
    OrderDtlStream,
    OrderStatusStream,
    AllocationStatusStream,
    FacilityStream,
    CompanyStream,
    ItemStream,
    LocationStream,
    InventoryStream,
)
CORE_ENTITIES: tuple[str, ...] = ("allocation", "order_hdr", "order_dtl")
SUPPORTED_ENTITIES: tuple[str, ...] = tuple(stream_type.entity for stream_type in STREAM_TYPES)
