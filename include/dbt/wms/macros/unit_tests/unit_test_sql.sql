{#- The SQL of dbt unit tests, valid on Oracle too.

    dbt-oracle 1.12 keeps dbt-core's unit-test SQL, which Oracle rejects: the subqueries are aliased
    `_dbt_internal_unit_test_actual`/`_expected` (a nonquoted identifier must begin with a letter:
    ORA-00911), every fixture row is a SELECT without FROM (ORA-00923 before 23ai), an empty fixture
    ends in LIMIT 0, and string fixtures are CAST to DATE/TIMESTAMP/NUMBER under the session's NLS
    formats (ORA-01843, ORA-01861, ORA-01722 with another NLS_NUMERIC_CHARACTERS).

    dbt-core calls get_fixture_sql and get_expected_sql by name, not through adapter.dispatch: defined
    here, in the root project, they win over dbt's own (a node's macro namespace searches its package
    and the root project before dbt's internal packages), and they dispatch, so DuckDB and PostgreSQL
    keep dbt-core's SQL unchanged. get_unit_test_sql is dispatched in the `dbt` namespace, where the
    root project's oracle__get_unit_test_sql is found before dbt's default. -#}

{% macro get_fixture_sql(rows, column_name_to_data_types) -%}
    {{ return(adapter.dispatch('get_fixture_sql', 'wms')(rows, column_name_to_data_types)) }}
{%- endmacro %}

{% macro default__get_fixture_sql(rows, column_name_to_data_types) -%}
    {{ return(dbt.get_fixture_sql(rows, column_name_to_data_types)) }}
{%- endmacro %}

{% macro get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted) -%}
    {{ return(adapter.dispatch('get_expected_sql', 'wms')(rows, column_name_to_data_types, column_name_to_quoted)) }}
{%- endmacro %}

{% macro default__get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted) -%}
    {{ return(dbt.get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted)) }}
{%- endmacro %}

{#- An input fixture: one SELECT ... FROM DUAL per row, columns the row leaves out as typed NULLs;
    no rows is a SELECT that returns none. Column types come from the input relation, as in dbt-core. -#}
{% macro oracle__get_fixture_sql(rows, column_name_to_data_types) -%}
{%- set column_name_to_quoted = {} -%}
{%- if not column_name_to_data_types -%}
{#-- Use defer_relation IFF it is available in the manifest and 'this' is missing from the database --#}
{%-   set this_or_defer_relation = defer_relation if (defer_relation and not load_relation(this)) else this -%}
{%-   set column_name_to_data_types = {} -%}
{%-   for column in adapter.get_columns_in_relation(this_or_defer_relation) -%}
{%-     do column_name_to_data_types.update({column.name | lower: column.data_type}) -%}
{%-     do column_name_to_quoted.update({column.name | lower: column.quoted}) -%}
{%-   endfor -%}
{%- else -%}
{%-   for column_name in column_name_to_data_types -%}
{%-     do column_name_to_quoted.update({column_name | lower: column_name | upper}) -%}
{%-   endfor -%}
{%- endif -%}
{%- if not column_name_to_data_types -%}
    {{ exceptions.raise_compiler_error("Not able to get columns for unit test '" ~ model.name ~ "' from relation " ~ this ~ " because the relation doesn't exist") }}
{%- endif -%}
{%- set null_row = {} -%}
{%- for column_name, column_type in column_name_to_data_types.items() -%}
{%-   do null_row.update({column_name: wms_oracle_fixture_literal(none, column_type)}) -%}
{%- endfor -%}
-- Fixture for {{ model.name }}
{% for row in rows -%}
{%-   set values = null_row.copy() -%}
{%-   do values.update(wms_oracle_fixture_row(row, column_name_to_data_types)) -%}
select {% for column_name, value in values.items() %}{{ value }} as {{ column_name_to_quoted[column_name] }}{{ ", " if not loop.last }}{% endfor %} from dual
{% if not loop.last %}union all
{% endif -%}
{%- endfor -%}
{%- if rows | length == 0 -%}
select {% for column_name, value in null_row.items() %}{{ value }} as {{ column_name_to_quoted[column_name] }}{{ ", " if not loop.last }}{% endfor %} from dual where 1 = 0
{%- endif -%}
{%- endmacro %}

{#- The expected rows: only the columns the test names, as in dbt-core. -#}
{% macro oracle__get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted) -%}
{%- if rows | length == 0 -%}
select * from dbt_unit_test_actual where 1 = 0
{%- else -%}
{%- for row in rows -%}
{%-   set values = wms_oracle_fixture_row(row, column_name_to_data_types) -%}
select {% for column_name, value in values.items() %}{{ value }} as {{ column_name_to_quoted[column_name] }}{{ ", " if not loop.last }}{% endfor %} from dual
{% if not loop.last %}union all
{% endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro %}

{#- dbt-core's comparison of actual and expected rows, with aliases that begin with a letter and
    names of at most 30 characters. -#}
{% macro oracle__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
-- Build actual result given inputs
with dbt_unit_test_actual as (
  select
    {% for expected_column_name in expected_column_names %}{{ expected_column_name }}, {% endfor %}{{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
  from (
    {{ main_sql }}
  ) dbt_internal_actual_rows
),
-- Build expected result
dbt_unit_test_expected as (
  select
    {% for expected_column_name in expected_column_names %}{{ expected_column_name }}, {% endfor %}{{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
  from (
    {{ expected_fixture_sql }}
  ) dbt_internal_expected_rows
)
-- Union actual and expected results
select * from dbt_unit_test_actual
union all
select * from dbt_unit_test_expected
{%- endmacro %}

{#- A fixture row's values as Oracle SQL literals, keyed by lower-case column name. -#}
{% macro wms_oracle_fixture_row(row, column_name_to_data_types) -%}
{%- set values = {} -%}
{%- for column_name, value in row.items() -%}
{%-   if column_name | lower not in column_name_to_data_types -%}
{%-     set fixture_name = "expected output" if model.resource_type == 'unit_test' else ("'" ~ model.name ~ "'") -%}
{{-     exceptions.raise_compiler_error(
            "Invalid column name: '" ~ column_name ~ "' in unit test fixture for " ~ fixture_name ~ "."
            ~ "\nAccepted columns for " ~ fixture_name ~ " are: " ~ (column_name_to_data_types.keys() | list)) -}}
{%-   endif -%}
{%-   do values.update({column_name | lower: wms_oracle_fixture_literal(value, column_name_to_data_types[column_name | lower])}) -%}
{%- endfor -%}
{{- return(values) -}}
{%- endmacro %}

{#- One fixture value as an Oracle expression of `column_type` that does not depend on the session's
    NLS settings: dates and timestamps through TO_DATE/TO_TIMESTAMP with an explicit ISO format,
    numbers as numeric literals (never a string cast under NLS_NUMERIC_CHARACTERS). -#}
{% macro wms_oracle_fixture_literal(value, column_type) -%}
{%- set kind = column_type | upper -%}
{%- if value is none -%}
{{-   return("cast(null as " ~ column_type ~ ")") -}}
{%- elif value is sameas true or value is sameas false -%}
{{-   return("cast(" ~ (1 if value else 0) ~ " as " ~ column_type ~ ")") -}}
{%- elif value is not string -%}
{%-   if value is number -%}
{{-     return("cast(" ~ value ~ " as " ~ column_type ~ ")") -}}
{%-   endif -%}
{{-   exceptions.raise_compiler_error("Unit test fixture value " ~ value ~ " for a " ~ column_type ~ " column: write it as a string or a number") -}}
{%- endif -%}
{%- set text = "'" ~ (value | replace("'", "''")) ~ "'" -%}
{%- if kind.startswith('TIMESTAMP') or kind == 'DATE' -%}
{%-   set format = wms_oracle_datetime_format(value, kind) -%}
{%-   if kind == 'DATE' -%}
{{-     return("to_date(" ~ text ~ ", '" ~ format ~ "')") -}}
{%-   elif 'TIME ZONE' in kind -%}
{{-     return("cast(to_timestamp_tz(" ~ text ~ ", '" ~ format ~ "') as " ~ column_type ~ ")") -}}
{%-   else -%}
{{-     return("cast(to_timestamp(" ~ text ~ ", '" ~ format ~ "') as " ~ column_type ~ ")") -}}
{%-   endif -%}
{%- elif kind.startswith(('NUMBER', 'FLOAT', 'INTEGER', 'BINARY_', 'DECIMAL')) -%}
{%-   if not modules.re.fullmatch('[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?', value) -%}
{{-     exceptions.raise_compiler_error("Unit test fixture value '" ~ value ~ "' for a " ~ column_type ~ " column is not a number") -}}
{%-   endif -%}
{{-   return("cast(" ~ value ~ " as " ~ column_type ~ ")") -}}
{%- endif -%}
{{- return("cast(" ~ text ~ " as " ~ column_type ~ ")") -}}
{%- endmacro %}

{#- The Oracle datetime format of an ISO-8601 fixture string: 'YYYY-MM-DD', optionally a time
    (' ' or 'T', then HH:MI, :SS, .fraction) and, for WITH TIME ZONE columns only, an offset. -#}
{% macro wms_oracle_datetime_format(value, kind) -%}
{%- set parts = modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}(([ T])[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?( ?([+-][0-9]{2}:[0-9]{2}))?', value) -%}
{%- set has_offset = parts is not none and parts.group(6) is not none -%}
{%- if parts is none or has_offset != ('TIME ZONE' in kind) or (kind == 'DATE' and parts.group(4)) -%}
{{-   exceptions.raise_compiler_error("Unit test fixture value '" ~ value ~ "' for a " ~ kind ~ " column: write it as 'YYYY-MM-DD[ HH:MI[:SS[.FF]]]'" ~ (" with an offset '+HH:MM'" if 'TIME ZONE' in kind else " (UTC, no offset)")) -}}
{%- endif -%}
{%- set format = 'YYYY-MM-DD' -%}
{%- if parts.group(1) -%}
{%-   set format = format ~ ('"T"' if parts.group(2) == 'T' else ' ') ~ 'HH24:MI' -%}
{%- endif -%}
{%- if parts.group(3) -%}
{%-   set format = format ~ ':SS' -%}
{%- endif -%}
{%- if parts.group(4) -%}
{%-   set format = format ~ '.FF' -%}
{%- endif -%}
{%- if has_offset -%}
{%-   set format = format ~ (' ' if ' ' ~ parts.group(6) in value else '') ~ 'TZH:TZM' -%}
{%- endif -%}
{{- return(format) -}}
{%- endmacro %}
