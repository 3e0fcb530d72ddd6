"""Records hidden from the API user (a lost facility eligibility) and records deleted on purpose."""

from __future__ import annotations

from sim_helpers import Api

from wms_simulator.visibility import delete_records, hide_facility, hide_records, unhide

FACILITY_IDS_FIELD = "facility_id"


def _facility_of_first_order(api: Api) -> int:
    first = api.get("order_hdr/", page_size=1, ordering="id").json["results"][0]
    return int(first[FACILITY_IDS_FIELD]["id"])


def test_a_hidden_facility_vanishes_from_lists_counts_and_lookups_and_comes_back_unchanged(api: Api) -> None:
    before = {entity: api.sim.versions(entity) for entity in ("order_hdr", "order_dtl", "allocation")}
    facility = _facility_of_first_order(api)

    hidden = hide_facility(api.sim, facility)

    assert hidden["order_hdr"] > 0
    assert hidden["order_dtl"] > 0
    listed = api.walk(api.url("order_hdr/", page_size=50))
    assert facility not in {row[FACILITY_IDS_FIELD]["id"] for row in listed}
    # The list's count agrees with its rows, as the real service's would for the narrowed user.
    assert api.get("order_hdr/", page_size=1).json["result_count"] == len(listed)
    assert len(listed) == len(before["order_hdr"]) - hidden["order_hdr"]
    assert api.sim.deleted("order_hdr") == {}, "hidden is not deleted"

    assert unhide(api.sim) == sum(hidden.values())
    assert {entity: api.sim.versions(entity) for entity in before} == before


def test_hidden_and_deleted_records(api: Api) -> None:
    ids = sorted(api.sim.versions("order_hdr"))[:3]
    assert hide_records(api.sim, "order_hdr", ids[:1]) == 1
    assert ids[0] not in {row["id"] for row in api.walk(api.url("order_hdr/", page_size=100))}
    assert delete_records(api.sim, "order_hdr", ids[1:]) == ids[1:]
    assert set(api.sim.deleted("order_hdr")) == set(ids[1:])
    unhide(api.sim)
    assert ids[0] in api.sim.versions("order_hdr")
    assert not set(ids[1:]) & set(api.sim.versions("order_hdr")), "deleted records stay deleted"
