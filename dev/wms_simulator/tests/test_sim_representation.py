"""Record shapes, describe/ and retrieve, against the field lists of reference §14."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from sim_helpers import Api, basic, fetch

from wms_simulator import Simulator, SimulatorConfig
from wms_simulator.catalog import catalog
from wms_simulator.representation import Representer

ENTITY_DIR = Path(__file__).parents[1] / "src" / "wms_simulator" / "entities"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")
REAL_ALLOCATION_FIELDS = {
    "id",
    "url",
    "create_user",
    "create_ts",
    "mod_user",
    "mod_ts",
    "order_dtl_id",
    "from_inventory_id",
    "to_inventory_id",
    "status_id",
    "alloc_qty",
    "packed_qty",
    "type_id",
    "wave_id",
    "task_id",
    "alloc_uom_id",
    "cartonize_uom_id",
    "task_seq_nbr",
    "ob_lpn_type_id",
    "mhe_system_id",
    "pick_user",
    "picked_ts",
    "pick_locn_str",
    "final_oblpn_nbr",
    "is_picking_flg",
}


def test_entity_root_lists_every_entity_with_its_url(api: Api) -> None:
    body = api.get("").json
    expected = sorted(path.stem for path in ENTITY_DIR.glob("*.json"))
    assert list(body) == expected
    assert body["order_hdr"] == f"{api.root}/order_hdr/"


def test_allocation_has_exactly_the_real_field_set_and_shapes(api: Api) -> None:
    row = api.get("allocation/", status_id=90, page_size=1).json["results"][0]
    assert set(row) == REAL_ALLOCATION_FIELDS
    assert row["url"] == f"{api.root}/allocation/{row['id']}"
    assert isinstance(row["status_id"], int)
    assert isinstance(row["alloc_qty"], str)
    assert isinstance(row["packed_qty"], str)
    assert set(row["order_dtl_id"]) == {"id", "key", "url"}
    assert row["from_inventory_id"]["key"] == ""
    assert row["type_id"]["url"] == row["wave_id"]["url"] == ""
    assert re.match(
        r"^http://127\.0\.0\.1:\d+/lgf_test/wms/lgfapi/v10/entity/order_dtl/\d+$", row["order_dtl_id"]["url"]
    )
    assert TS.match(row["mod_ts"])
    assert TS.match(row["picked_ts"])


def test_order_dtl_links_to_its_header_and_has_no_order_nbr(api: Api) -> None:
    row = api.get("order_dtl/", page_size=1).json["results"][0]
    assert "order_nbr" not in row
    assert "line_nbr" not in row
    header = api.get(f"order_hdr/{row['order_id']['id']}/").json
    assert row["order_id"]["key"] == header["order_nbr"]
    allocation = api.get("allocation/", order_dtl_id=row["id"], page_size=1).json["results"][0]
    assert allocation["order_dtl_id"]["key"] == f"{header['order_nbr']},{row['seq_nbr']}"


def test_order_hdr_unset_text_is_empty_and_unset_fk_null_and_sets_have_real_shapes(api: Api) -> None:
    row = api.get("order_hdr/", page_size=1).json["results"][0]
    assert row["cust_addr"] == ""
    assert row["gift_msg"] == ""
    assert row["dest_facility_id"] is None
    assert row["order_instructions_set"] == []
    assert row["order_dtl_set"]["url"].endswith(f"/order_dtl/?order_id={row['id']}")
    lines = api.get("order_dtl/", order_id=row["id"]).json["result_count"]
    assert row["order_dtl_set"]["result_count"] == lines


def test_timestamps_carry_the_facility_offset(api: Api) -> None:
    offsets: dict[str, set[str]] = {}
    for row in api.sim.records("order_hdr"):
        offsets.setdefault(row["facility_id"]["key"], set()).add(row["mod_ts"][-6:])
    assert offsets["SAO01"] == {"-03:00"}
    assert offsets["BLR01"] == {"+05:30"}
    assert offsets["CHI01"] <= {"-06:00", "-05:00"}


def test_retrieve_is_unwrapped_and_honours_fields(api: Api) -> None:
    record_id = next(iter(api.sim.versions("item")))
    full = api.get(f"item/{record_id}/").json
    listed = api.get("item/", id=record_id).json["results"][0]
    assert full == listed
    assert api.get(f"item/{record_id}", fields="id,code").json == {"id": record_id, "code": full["code"]}


def test_unknown_entity_or_id_is_404_with_envelope(api: Api) -> None:
    for path in ("nope/", "item/1/", "item/abc/"):
        answer = api.get(path)
        assert answer.status == 404
        assert set(answer.json) == {"reference", "code", "message", "details"}


def test_describe_matches_the_entity_files(api: Api) -> None:
    for path in ENTITY_DIR.glob("*.json"):
        spec = json.loads(path.read_text())
        body = api.get(f"{path.stem}/describe/").json
        assert set(body["fields"]) == set(spec["fields"])
        assert all(isinstance(meta["required"], bool) for meta in body["fields"].values())
        assert "order_dtl_set" not in body["parameters"]
    allocation = api.get("allocation/describe").json
    assert allocation["fields"]["pick_locn_str"]["max_length"] == 100
    assert allocation["fields"]["is_picking_flg"]["default"] is True
    assert "facility_id" not in allocation["parameters"]


def test_status_lookups(api: Api) -> None:
    order_status = {r["id"]: r["description"] for r in api.get("order_status/").json["results"]}
    assert order_status == {
        0: "Created",
        10: "Partly Allocated",
        20: "Allocated",
        25: "In Picking",
        27: "Picked",
        30: "In Packing",
        40: "Packed",
        50: "Loaded",
        90: "Shipped",
        99: "Cancelled",
    }
    allocation_status = {r["id"] for r in api.get("allocation_status/").json["results"]}
    assert {90, 99} <= allocation_status
    used = {r["status_id"] for r in api.sim.records("allocation")}
    assert used <= allocation_status


def test_create_ts_never_after_mod_ts(api: Api) -> None:
    for entity in ("order_hdr", "order_dtl", "allocation", "inventory", "item"):
        for row in api.sim.records(entity):
            assert datetime.fromisoformat(row["create_ts"]) <= datetime.fromisoformat(row["mod_ts"]), (
                entity,
                row["id"],
            )


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    url = api.url("facility/")
    head = fetch(url, "HEAD", auth=basic())
    assert (head.status, head.body) == (200, b"")
    assert fetch(api.url("facility/999999/"), "HEAD", auth=basic()).status == 404
    assert fetch(url, "POST", auth=basic(), data=b"{}").status == 405


def test_list_pages_print_every_record_as_the_field_by_field_renderer_does() -> None:
    # List pages take a faster path (render_json: templates around the assigned fields); it must print
    # exactly what rendering every field one by one prints, for every entity, before and after changes.
    sim = Simulator(SimulatorConfig(records=300, seed=42))
    representer = Representer(sim.api_root)
    compared = 0
    for _ in range(2):
        for entity, meta in catalog().items():
            every_field = frozenset(meta.fields) | {"url"}
            table = sim.store.tables[entity]
            for pos in table.live_positions():
                expected = json.dumps(
                    sim.render(entity, pos, representer, every_field), separators=(",", ":")
                )
                assert sim.render_json(entity, pos, representer) == expected, (entity, pos)
                assert sim.render(entity, pos, representer, None) == json.loads(expected), (entity, pos)
                compared += 1
        sim.advance(timedelta(hours=6))
    assert compared > 2 * 300
