{#- Whole microseconds from `start_ts` to `end_ts` (plain timestamps) as an exact integer; negative
    when end is earlier. Durations are measured in integer microseconds first so that every warehouse
    (and the Python reference in include/dbt/tests) gets bit-identical hours and medians from them. -#}
{% macro wms_microseconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('wms_microseconds_between', 'wms')(start_ts, end_ts)) }}
{%- endmacro %}

{#- PostgreSQL 14+: extract(epoch from interval) is an exact numeric with microseconds. -#}
{% macro default__wms_microseconds_between(start_ts, end_ts) -%}
    cast(round(extract(epoch from ({{ end_ts }}) - ({{ start_ts }})) * 1000000) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro duckdb__wms_microseconds_between(start_ts, end_ts) -%}
    date_diff('microsecond', {{ start_ts }}, {{ end_ts }})
{%- endmacro %}

{#- Oracle: TIMESTAMP - TIMESTAMP is an INTERVAL DAY TO SECOND; add its parts up (NUMBER is exact). -#}
{% macro oracle__wms_microseconds_between(start_ts, end_ts) -%}
    (extract(day from (({{ end_ts }}) - ({{ start_ts }}))) * 86400000000
     + extract(hour from (({{ end_ts }}) - ({{ start_ts }}))) * 3600000000
     + extract(minute from (({{ end_ts }}) - ({{ start_ts }}))) * 60000000
     + round(extract(second from (({{ end_ts }}) - ({{ start_ts }}))) * 1000000))
{%- endmacro %}
