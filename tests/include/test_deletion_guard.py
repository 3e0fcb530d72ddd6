"""The deletion guard's rules: thresholds and where they come from, the recorded scope, the decision,
and the deletion cut-off (issue 29 items 1, 3, 4; issue 34 item 1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from include.wms_pipeline.deletion_guard import Decision, Threshold, scope, thresholds
from include.wms_pipeline.full_sync import deletion_cutoff

ENTITIES = ["order_hdr", "inventory"]


def test_the_default_holds_more_than_2_percent_and_more_than_100_records() -> None:
    default = Threshold()
    assert not default.exceeded_by(100, 1000)  # 10 %, but not more than 100 records
    assert not default.exceeded_by(101, 10_000)  # more than 100 records, but 1.01 %
    assert not default.exceeded_by(200, 10_000)  # exactly 2 %
    assert default.exceeded_by(201, 10_000)
    assert default.exceeded_by(101, 101)  # everything


def test_thresholds_come_from_the_variable_per_entity_then_from_the_runs_params() -> None:
    variable = json.dumps({"*": {"max_percent": 5}, "inventory": {"min_records": 10}})
    assert thresholds(ENTITIES, variable) == {
        "order_hdr": Threshold(5, 100),
        "inventory": Threshold(5, 10),
    }
    assert thresholds(ENTITIES, variable, None, 0) == {
        "order_hdr": Threshold(5, 0),
        "inventory": Threshold(5, 0),
    }
    assert thresholds(ENTITIES, None) == dict.fromkeys(ENTITIES, Threshold())


@pytest.mark.parametrize(
    ("variable", "params", "message"),
    [
        ("2 %", (None, None), "must be JSON"),
        ('["order_hdr"]', (None, None), "JSON object"),
        ('{"orders": {"max_percent": 2}}', (None, None), r"names \['orders'\]"),
        ('{"*": {"max_pct": 2}}', (None, None), r"unknown keys \['max_pct'\]"),
        ('{"*": {"max_percent": 200}}', (None, None), "from 0 to 100"),
        ('{"order_hdr": {"min_records": -1}}', (None, None), "at least 0"),
        ('{"order_hdr": {"min_records": 1.5}}', (None, None), "whole number"),
        (None, ("2", None), "from 0 to 100"),
        (None, (None, True), "whole number"),
    ],
)
def test_bad_thresholds_are_refused_naming_what_to_fix(
    variable: str | None, params: tuple[object, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        thresholds(ENTITIES, variable, *params)


def test_the_scope_holds_the_filters_and_never_a_credential() -> None:
    extra = {"facility_code": "FAC1", "client_secret": "s3cret", "company_code": ""}
    recorded = scope(extra, "https://user:pw@Tenant.wms.ocs.oraclecloud.com/prod_env/", ["order_hdr", "item"])
    assert json.loads(recorded) == {
        "company_code": None,
        "entities": ["item", "order_hdr"],
        "environment": "tenant.wms.ocs.oraclecloud.com/prod_env",
        "facility_code": "FAC1",
    }
    assert "s3cret" not in recorded
    assert "pw@" not in recorded


def test_a_decision_holds_on_too_many_marks_or_a_changed_scope_until_confirmed() -> None:
    fine = Decision("order_hdr", 1000, 5, Threshold(2, 3), "A", "A")
    assert (fine.status, fine.guarded) == ("complete", False)
    too_many = Decision("order_hdr", 1000, 30, Threshold(2, 3), "A", "A")
    assert too_many.status == "held"
    assert "would mark 30 of 1000 live records deleted (3.0 %)" in too_many.message()
    assert "more than 2 % and more than 3 records" in too_many.message()
    assert too_many.message().endswith("filters in force: A")
    moved = Decision("order_hdr", 1000, 0, Threshold(), '{"facility_code":"B"}', '{"facility_code":"A"}')
    assert moved.status == "held"
    assert 'from {"facility_code":"A"} to {"facility_code":"B"}' in moved.message()
    first = Decision("order_hdr", 1000, 0, Threshold(), "B", None)  # no earlier scope recorded
    assert first.status == "complete"
    released = Decision("order_hdr", 1000, 300, Threshold(), "A", "A", confirmed=True)
    assert released.status == "released"


def test_the_cutoff_is_the_earlier_of_window_end_and_plan_time_minus_the_margin() -> None:
    window_end = datetime(2026, 1, 4, 3, 0, tzinfo=UTC)
    margin = timedelta(minutes=30)
    assert deletion_cutoff(window_end, None, margin) == datetime(2026, 1, 4, 2, 30, tzinfo=UTC)
    late_plan = datetime(2026, 1, 4, 3, 0, 10, tzinfo=UTC)
    assert deletion_cutoff(window_end, late_plan, margin) == datetime(2026, 1, 4, 2, 30, tzinfo=UTC)
    # A manual run whose window end lies after its plan time: the plan time bounds it.
    early_plan = datetime(2026, 1, 4, 4, 0, 0, 999_999, tzinfo=ZoneInfo("Europe/Berlin"))
    assert deletion_cutoff(window_end, early_plan, margin) == datetime(2026, 1, 4, 2, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        deletion_cutoff(window_end.replace(tzinfo=None), None, margin)
