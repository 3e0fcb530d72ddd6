"""Bad input, property-based: records with missing fields, wrong types, nulls, huge and non-ASCII
strings, unexpected nesting and unknown fields never crash the tap and are never silently dropped.

Hypothesis runs derandomized with no example database, so every run tries the same inputs.
"""

from __future__ import annotations

import math
import tempfile
import typing as t
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from singer_run import run_tap
from stub_wms import PASSWORD, USERNAME, StubWMS, make_record

from tap_oracle_wms.records import RecordFlattener
from tap_oracle_wms.schema import fk_key_name

# Hypothesis caches (unicode tables, constants) go to a temporary directory, never into the repository.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-"))
BOUNDED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SCHEMA = {
    "properties": {
        "id": {"type": "integer"},
        "mod_ts": {"type": ["string", "null"], "format": "date-time"},
        "alloc_qty": {"type": ["number", "null"]},
        "status_id": {"type": ["integer", "null"]},
        "order_dtl_id": {"type": ["integer", "null"]},
        "order_dtl_key": {"type": ["string", "null"]},
        "pick_user": {"type": ["string", "null"]},
    }
}
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFFF), max_size=40),
    st.integers(min_value=1, max_value=3).map(lambda n: "\u00e9\U0001f4e6" * (n * 5_000)),  # huge
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.decimals(allow_nan=False), text
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "key", "url", "x"]), inner, max_size=4),
    ),
    max_leaves=6,
)
field_names = st.one_of(
    st.sampled_from([*list(SCHEMA["properties"]), "url", "order_dtl_set", "wave_id", "new_field"]),
    st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True),
)
records = st.dictionaries(field_names, values, max_size=10)


def _is_fk_object(value: t.Any) -> bool:
    return isinstance(value, dict) and "id" in value


def _non_finite_as_text(value: t.Any) -> t.Any:
    """JSON has no NaN or Infinity: such a number leaves the tap as its text, at any depth."""
    if (isinstance(value, Decimal) and not value.is_finite()) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return str(value)
    if isinstance(value, dict):
        return {key: _non_finite_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_non_finite_as_text(item) for item in value]
    return value


@settings(BOUNDED, max_examples=100)
@given(records)
def test_flattening_keeps_every_data_field_and_never_raises(record: dict[str, t.Any]) -> None:
    flat = RecordFlattener(SCHEMA).flatten(record)
    # X_key written by an FK object X_id: the FK's key wins over a plain X_key the record also sends.
    fk_keys = {fk_key_name(name) for name, value in record.items() if _is_fk_object(value)}

    for name, value in record.items():
        if name == "url" or name.endswith("_set"):
            assert name not in flat  # navigation, dropped by contract
            continue
        assert name in flat, f"{name} silently dropped"
        if name in fk_keys:
            continue
        if _is_fk_object(value):
            key = value.get("key")
            # An FK object becomes X_id + X_key unless the record also sends its own X_key.
            if fk_key_name(name) not in record:
                assert flat[fk_key_name(name)] == (None if key is None else str(key))
        elif name in {"alloc_qty"} and isinstance(value, str) and value.strip():
            assert isinstance(flat[name], (Decimal, str))
        elif not (name in {"id", "alloc_qty", "status_id", "order_dtl_id"} and isinstance(value, str)):
            assert flat[name] == _non_finite_as_text(value) or (value is None and flat[name] is None)


def test_records_of_any_shape_are_emitted_or_the_run_fails_clearly() -> None:
    stub = StubWMS([make_record(1)]).start()
    config = {
        "base_url": stub.base_url,
        "auth": {"type": "basic", "username": USERNAME, "password": PASSWORD},
        "entities": ["allocation"],
        "page_size": 50,
        "retry_backoff_seconds": 0.01,
        "max_retries": 1,
    }
    outcomes = {"emitted": 0, "clear error": 0}

    @settings(BOUNDED, max_examples=15)
    @given(st.lists(records, min_size=1, max_size=4))
    def check(mutations: list[dict[str, t.Any]]) -> None:
        # Each record keeps its id and mod_ts (the key the warehouse needs) and gets hostile fields.
        stub.records = [
            {**mutation, "id": number, "mod_ts": "2026-01-05T06:00:00+00:00"}
            for number, mutation in enumerate(mutations, start=1)
        ]
        try:
            output = run_tap(config)
        except Exception as exc:  # a failure must say what is wrong, never lose data silently
            message = str(exc)
        else:
            message = ""
        if message:
            assert "allocation" in message or "schema" in message.lower(), message
            outcomes["clear error"] += 1
            return
        assert sorted(record["id"] for record in output.records["allocation"]) == list(
            range(1, len(mutations) + 1)
        )
        outcomes["emitted"] += 1

    try:
        check()
    finally:
        stub.stop()
    assert outcomes["emitted"] > 0
