"""describe/ metadata → flattened Singer schema, and record flattening (docs/architecture.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tap_oracle_wms.discovery import shipped_schema
from tap_oracle_wms.records import RecordFlattener
from tap_oracle_wms.schema import DescribeError, json_schema_for, parse_describe
from tap_oracle_wms.streams import SUPPORTED_ENTITIES

DESCRIBE_MAPPING = {
    "parameters": ["id", "mod_ts", "order_dtl_id", "wave_id", "status_id", "alloc_qty", "pick_user"],
    "fields": {
        "id": {"type": "primary_key", "required": True},
        "mod_ts": {"type": "datetime", "default": "now"},
        "ord_date": {"type": "date"},
        "order_dtl_id": {"type": "foreign_key", "required": True},
        "wave_id": {"type": "ForeignKey"},  # FK by its role even though samples are often null
        "status_id": {"type": "status"},
        "alloc_qty": {"type": "decimal", "required": "Y"},
        "task_seq_nbr": {"type": "integer"},
        "pick_user": {"type": "string", "max_length": 30},
        "is_picking_flg": {"type": "boolean", "default": True},
        "order_dtl_set": {"type": "reverse_set"},
    },
}


def test_describe_mapping_becomes_the_flattened_schema() -> None:
    properties = json_schema_for(parse_describe(DESCRIBE_MAPPING))["properties"]

    assert properties["id"] == {"type": "integer"}
    assert properties["mod_ts"] == {"type": ["string", "null"], "format": "date-time"}
    assert properties["ord_date"] == {"type": ["string", "null"], "format": "date"}
    for fk in ("order_dtl", "wave"):
        assert properties[f"{fk}_id"] == {"type": ["integer", "null"]}
        assert properties[f"{fk}_key"] == {"type": ["string", "null"]}
    assert properties["status_id"] == {"type": ["integer", "null"]}
    assert "status_key" not in properties
    assert properties["alloc_qty"] == {"type": ["number", "null"]}
    assert properties["task_seq_nbr"] == {"type": ["integer", "null"]}
    assert properties["pick_user"] == {"type": ["string", "null"], "maxLength": 30}
    assert properties["is_picking_flg"] == {"type": ["boolean", "null"]}
    assert "order_dtl_set" not in properties
    assert "url" not in properties


def test_describe_list_form_gives_the_same_schema_as_the_mapping_form() -> None:
    as_list = {"fields": [{"name": name, **meta} for name, meta in DESCRIBE_MAPPING["fields"].items()]}

    assert json_schema_for(parse_describe(as_list)) == json_schema_for(parse_describe(DESCRIBE_MAPPING))


def test_required_accepts_the_doc_legend_and_booleans() -> None:
    specs = {spec.name: spec for spec in parse_describe(DESCRIBE_MAPPING)}

    assert specs["alloc_qty"].required is True
    assert specs["id"].required is True
    assert specs["pick_user"].required is False


@pytest.mark.parametrize("payload", [None, "oops", {"fields": 3}, {"fields": {"code": {"type": "string"}}}])
def test_unreadable_describe_is_an_error(payload: object) -> None:
    with pytest.raises(DescribeError):
        parse_describe(payload)


@pytest.mark.parametrize("entity", SUPPORTED_ENTITIES)
def test_every_supported_entity_ships_a_schema_keyed_on_id_and_mod_ts(entity: str) -> None:
    properties = shipped_schema(entity)["properties"]

    assert properties["id"] == {"type": "integer"}
    assert properties["mod_ts"]["format"] == "date-time"
    assert not any(name == "url" or name.endswith("_set") for name in properties)


def test_flattening_splits_fks_drops_navigation_and_types_decimals() -> None:
    flattener = RecordFlattener(json_schema_for(parse_describe(DESCRIBE_MAPPING)))
    raw = {
        "id": 7,
        "url": "https://host/entity/allocation/7",
        "mod_ts": "2025-05-31T21:00:01.831732-03:00",
        "order_dtl_id": {"id": 316225879, "key": "100002774185,1728581131", "url": "https://host/x"},
        "wave_id": None,
        "status_id": 90,
        "alloc_qty": "16",
        "task_seq_nbr": "23",
        "pick_user": "",
        "order_dtl_set": {"result_count": 2, "url": "https://host/entity/order_dtl/?order_id=7"},
    }

    assert flattener.flatten(raw) == {
        "id": 7,
        "mod_ts": "2025-05-31T21:00:01.831732-03:00",
        "order_dtl_id": 316225879,
        "order_dtl_key": "100002774185,1728581131",
        "wave_id": None,
        "wave_key": None,
        "status_id": 90,
        "alloc_qty": Decimal(16),
        "task_seq_nbr": 23,
        "pick_user": "",
    }


def test_decimals_sent_as_numbers_or_blank_strings_are_accepted() -> None:
    flattener = RecordFlattener(json_schema_for(parse_describe(DESCRIBE_MAPPING)))

    assert flattener.flatten({"id": 1, "alloc_qty": Decimal("2.5")})["alloc_qty"] == Decimal("2.5")
    assert flattener.flatten({"id": 1, "alloc_qty": ""})["alloc_qty"] is None


def test_an_fk_object_on_a_field_described_as_plain_is_still_flattened() -> None:
    flattener = RecordFlattener({"properties": {"id": {"type": "integer"}}})

    flat = flattener.flatten({"id": 1, "mhe_system_id": {"id": 55, "key": "INDUCAO", "url": ""}})

    assert flat == {"id": 1, "mhe_system_id": 55, "mhe_system_key": "INDUCAO"}


def test_flags_sent_as_0_or_1_become_booleans_and_anything_else_goes_as_sent() -> None:
    flattener = RecordFlattener(json_schema_for(parse_describe(DESCRIBE_MAPPING)))

    assert flattener.flatten({"id": 1, "is_picking_flg": True})["is_picking_flg"] is True
    assert flattener.flatten({"id": 1, "is_picking_flg": 0})["is_picking_flg"] is False
    assert flattener.flatten({"id": 1, "is_picking_flg": Decimal(1)})["is_picking_flg"] is True
    # Not a boolean: sent as is, so the loader quarantines it with a reason (the SDK made "N" True).
    assert flattener.flatten({"id": 1, "is_picking_flg": "N"})["is_picking_flg"] == "N"
    assert flattener.flatten({"id": 1, "is_picking_flg": 2})["is_picking_flg"] == 2


def test_numbers_that_are_not_finite_leave_as_text_wherever_they_are() -> None:
    flattener = RecordFlattener(json_schema_for(parse_describe(DESCRIBE_MAPPING)))

    flat = flattener.flatten(
        {
            "id": 1,
            "alloc_qty": "NaN",
            "status_id": Decimal("Infinity"),
            "pick_user": Decimal("-Infinity"),
            "extra": {"nested": [Decimal("NaN"), float("inf"), Decimal("1.5")]},
        }
    )

    assert flat["alloc_qty"] == "NaN"
    assert flat["status_id"] == "Infinity"
    assert flat["pick_user"] == "-Infinity"
    assert flat["extra"] == {"nested": ["NaN", "inf", Decimal("1.5")]}
