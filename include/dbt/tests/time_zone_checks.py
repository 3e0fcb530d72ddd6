"""The facility time-zone tests' expectations, shared by the DuckDB and PostgreSQL builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dbt_runner import run_dbt

KNOWN_TEST = "assert_facility_time_zones_are_known"
DEFAULTED_TEST = "assert_facility_time_zone_defaulted"


def assert_built_warning_only_of_the_defaulted_zone(output: str) -> None:
    """The build passed; its one warning counts the one facility without a zone key (NOTZ)."""
    assert re.search(r"Done\. PASS=\d+ WARN=1 ERROR=0 ", output), output[-3000:]
    assert re.search(rf"WARN 1 {DEFAULTED_TEST} \.+ \[WARN 1 in", output), output[-3000:]
    assert "Got 1 result, configured to warn if != 0" in output


def assert_unknown_zone_fails(target: str, artefacts: Path, env: dict[str, str]) -> None:
    """After a facility's key became a half-hour offset (no Etc zone; PostgreSQL would read '+05:30' as
    POSIX, five and a half hours the wrong way), the known-zone test fails naming one facility."""
    with pytest.raises(AssertionError) as failure:
        run_dbt(["test", "--target", target, "--select", KNOWN_TEST], artefacts, env)
    text = str(failure.value)
    assert re.search(rf"FAIL 1 {KNOWN_TEST} \.+ \[FAIL 1 in", text), text[-3000:]
    assert "Got 1 result, configured to fail if != 0" in text
