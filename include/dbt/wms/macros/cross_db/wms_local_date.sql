{#- The calendar date, in the IANA time zone `tz`, of a plain UTC timestamp. -#}
{% macro wms_local_date(utc_ts, tz) -%}
    {{ return(adapter.dispatch('wms_local_date', 'wms')(utc_ts, tz)) }}
{%- endmacro %}

{% macro default__wms_local_date(utc_ts, tz) -%}
    cast((({{ utc_ts }}) at time zone 'UTC') at time zone {{ tz }} as date)
{%- endmacro %}

{% macro postgres__wms_local_date(utc_ts, tz) -%}
    cast((({{ utc_ts }}) at time zone 'UTC') at time zone {{ tz }} as date)
{%- endmacro %}

{% macro duckdb__wms_local_date(utc_ts, tz) -%}
    cast(timezone({{ tz }}, timezone('UTC', {{ utc_ts }})) as date)
{%- endmacro %}

{#- Oracle DATE carries a time of day: trunc() keeps only the calendar day. -#}
{% macro oracle__wms_local_date(utc_ts, tz) -%}
    trunc(cast(from_tz(cast({{ utc_ts }} as timestamp), 'UTC') at time zone {{ tz }} as date))
{%- endmacro %}
