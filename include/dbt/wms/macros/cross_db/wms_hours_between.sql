{#- Fractional hours from `start_ts` to `end_ts` (plain timestamps); negative when end is earlier.
    One division of the exact microsecond count in double precision: correctly rounded, so the same
    on every warehouse. -#}
{% macro wms_hours_between(start_ts, end_ts) -%}
    {{ wms_microseconds_to_hours(wms_microseconds_between(start_ts, end_ts)) }}
{%- endmacro %}

{#- A microsecond count (or a median of them) as double-precision hours. -#}
{% macro wms_microseconds_to_hours(microseconds) -%}
    (cast({{ microseconds }} as {{ wms_type_double() }}) / cast(3600000000 as {{ wms_type_double() }}))
{%- endmacro %}
