"""dbt unit tests on Oracle: the SQL the project's unit tests send is valid Oracle SQL, without a server.

dbt-oracle 1.12 keeps dbt-core's unit-test SQL (an alias starting with `_`, fixture SELECTs without
FROM, LIMIT 0, string casts under NLS formats). The project's own macros replace it on Oracle. Here
each unit test's fixtures and expected rows are rendered by dbt itself (`dbt compile --inline`,
offline) through the names dbt-core calls, `get_fixture_sql`, `get_expected_sql` and the dispatched
`get_unit_test_sql`, so the root project's overrides are picked exactly as in a `dbt build`. Running the
rendered SQL is left to the recording python-oracledb stand-in, which runs the real `dbt build`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from dbt_runner import PROJECT_DIR, run_dbt
from oracle_sql_rules import oracle_violations
from test_oracle_compile import ORACLE_ENV

SEPARATOR = "-- ==== unit test: "
# Oracle datetime format elements (SQL Language Reference, "Datetime Format Elements") as strptime codes.
_FORMAT_ELEMENTS = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH24": "%H", "MI": "%M", "SS": "%S", "FF": "%f"}
_TO_DATETIME = re.compile(r"to_(?:date|timestamp)\('([^']*)', '([^']*)'\)")


def _unit_tests() -> dict[str, dict[str, Any]]:
    tests = {}
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        for test in yaml.safe_load(path.read_text()).get("unit_tests", []):
            tests[test["name"]] = test
    return tests


def _oracle_type(column: str, values: list[Any]) -> str:
    """The Oracle type the project's models give such a column (times are TIMESTAMP(6) in UTC)."""
    if column.endswith("_at"):
        return "TIMESTAMP(6)"
    if column.endswith("_date"):
        return "DATE"
    if any(isinstance(v, str) and not re.fullmatch(r"-?[0-9.]+", v) for v in values):
        return "VARCHAR2(1000 CHAR)"
    return "NUMBER"


def _types(rows: list[dict[str, Any]]) -> dict[str, str]:
    columns = {column for row in rows for column in row}
    return {c: _oracle_type(c, [row.get(c) for row in rows]) for c in sorted(columns)}


def _template(name: str, test: dict[str, Any]) -> str:
    """Jinja for one unit test: every input fixture, the expected rows, and the comparison around them."""
    expected = test["expect"]["rows"]
    expected_types = _types(expected)
    quoted = {c: f'"{c.upper()}"' for c in expected_types}
    parts = [
        f"{{% set fixture_{i} = get_fixture_sql(fromjson({json.dumps(json.dumps(given['rows']))}), "
        f"fromjson({json.dumps(json.dumps(_types(given['rows'])))})) %}}"
        for i, given in enumerate(test["given"])
    ]
    parts.append(
        f"{{% set expected = get_expected_sql(fromjson({json.dumps(json.dumps(expected))}), "
        f"fromjson({json.dumps(json.dumps(expected_types))}), fromjson({json.dumps(json.dumps(quoted))})) %}}"
    )
    # The model's SQL would read the fixtures; here the first fixture stands in for it.
    parts.append(
        f"{SEPARATOR}{name}\n{{{{ get_unit_test_sql(fixture_0, expected, "
        f"fromjson({json.dumps(json.dumps(list(quoted.values())))})) }}}}"
    )
    parts.extend(
        f"{SEPARATOR}{name} / input {i}\n{{{{ fixture_{i} }}}}" for i in range(1, len(test["given"]))
    )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each unit test's Oracle SQL (its comparison, then its further inputs), rendered by dbt with
    --target oracle and no database."""
    tests = _unit_tests()
    inline = "\n".join(_template(name, test) for name, test in tests.items())
    output = run_dbt(
        ["compile", "--target", "oracle", "--no-populate-cache", "--no-introspect", "--inline", inline],
        tmp_path_factory.mktemp("oracle_unit_tests"),
        ORACLE_ENV,
    )
    sections = output.split(SEPARATOR)[1:]
    by_name = {section.split("\n", 1)[0].strip(): section.split("\n", 1)[1] for section in sections}
    assert {key.split(" / ")[0] for key in by_name} == set(tests)
    return by_name


def test_the_project_has_unit_tests() -> None:
    assert len(_unit_tests()) >= 4


def test_every_unit_test_is_valid_oracle_sql(rendered: dict[str, str]) -> None:
    problems = {name: oracle_violations(sql) for name, sql in rendered.items()}

    assert {name: found for name, found in problems.items() if found} == {}


def test_every_fixture_row_selects_from_dual(rendered: dict[str, str]) -> None:
    for name, test in _unit_tests().items():
        sql = "".join(text for key, text in rendered.items() if key.split(" / ")[0] == name)
        rows = sum(len(given["rows"]) for given in test["given"]) + len(test["expect"]["rows"])
        assert sql.lower().count(" from dual") == rows, name


def test_fixture_times_are_read_with_a_format_that_matches_them(rendered: dict[str, str]) -> None:
    """TO_DATE/TO_TIMESTAMP with an explicit format do not depend on NLS_DATE_FORMAT; the format must
    still match the literal, or Oracle raises ORA-01861/ORA-01830."""
    conversions = [match for sql in rendered.values() for match in _TO_DATETIME.findall(sql)]
    assert len(conversions) >= 20
    for literal, oracle_format in conversions:
        python_format = oracle_format
        for element, code in _FORMAT_ELEMENTS.items():
            python_format = python_format.replace(element, code)
        datetime.strptime(literal, python_format)  # noqa: DTZ007 - a plain UTC fixture time


def test_dbt_core_unit_test_sql_breaks_the_rules_these_macros_keep(tmp_path: Path) -> None:
    """What dbt-oracle 1.12 would send without the project's macros: dbt-core's own expected-rows and
    comparison SQL, rendered by dbt for the same unit test (and for an empty expectation)."""
    name, test = next((n, t) for n, t in _unit_tests().items() if "activity_date" in t["expect"]["rows"][0])
    expected = test["expect"]["rows"]
    types = _types(expected)
    quoted = json.dumps(json.dumps({c: f'"{c.upper()}"' for c in types}))
    arguments = f"fromjson({json.dumps(json.dumps(types))}), fromjson({quoted})"
    inline = (
        f"{{{{ dbt.default__get_unit_test_sql('select 1 a from dual', "
        f"dbt.get_expected_sql(fromjson({json.dumps(json.dumps(expected))}), {arguments}), ['A']) }}}}\n"
        f"{{{{ dbt.get_expected_sql([], {arguments}) }}}}"
    )
    output = run_dbt(
        ["compile", "--target", "oracle", "--no-populate-cache", "--no-introspect", "--inline", inline],
        tmp_path,
        ORACLE_ENV,
    )
    problems = " | ".join(oracle_violations(output.split("Compiled inline node is:", 1)[1]))

    assert "does not begin with a letter" in problems, name
    assert "SELECT without FROM" in problems
    assert "LIMIT" in problems
    assert "NLS" in problems
