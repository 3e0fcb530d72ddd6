"""The Oracle validity checker itself: each rule catches its mistake and passes valid Oracle SQL."""

from __future__ import annotations

import pytest
from oracle_sql_rules import oracle_violations


@pytest.mark.parametrize(
    ("sql", "expected_fragment"),
    [
        ("select * from t limit 5", "LIMIT"),
        ("select true as x from dual", "boolean"),
        ("select cast(a as boolean) from t", "boolean"),
        ("select a from t as x", "'AS' before a table alias"),
        ("select a from (select 1 a from dual) as sub", "'AS' before a table alias"),
        ("select a from t x left join u as y on x.a = y.a", "'AS' before a table alias"),
        ("with level as (select 1 a from dual) select * from level", "CTE named with the reserved word"),
        (
            "with ok as (select 1 a from dual), rows as (select 2 a from dual) select 1 from dual",
            "reserved word 'rows'",
        ),
        ("select * from t size", "table alias is the reserved word"),
        ("select a::int from t", "'::' cast"),
        ("select " + "a" * 31 + " from t", "longer than 30"),
        ("select a from s." + "b" * 129 + " x", "longer than 128"),
        (
            "select * from (select 1 a from dual) _dbt_internal_unit_test_actual",
            "does not begin with a letter",
        ),
        ("select 1 as a union all select 2 as a from dual", "SELECT without FROM"),
        ("select a from t where a in (select 1)", "SELECT without FROM"),
        ("select cast('2025-06-01' as date) d from dual", "NLS"),
        ("select cast('2025-06-02 02:30:00' as timestamp(6)) t from dual", "NLS"),
        ("select cast('8.5' as number) n from dual", "NLS"),
    ],
)
def test_each_rule_reports_its_mistake(sql: str, expected_fragment: str) -> None:
    problems = oracle_violations(sql)

    assert any(expected_fragment in problem for problem in problems), problems


def test_valid_oracle_sql_passes() -> None:
    sql = """
    -- a comment may say limit or true
    with source as (select * from wms_raw.order_hdr),
    renamed as (
        select s.id as order_id, 'true' as label, extract(day from (s.b - s.a)) as days
        from source s
        inner join (select id from wms.stg_oracle_wms__allocation_statuses) st on s.id = st.id
        where s.flag = 1
    )
    select * from renamed
    """

    assert oracle_violations(sql) == []
