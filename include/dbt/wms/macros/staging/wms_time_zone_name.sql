{#- The time zone of a facility from its WMS time_zone_id key (`key_expr`, already NULL when empty),
    as a name every warehouse reads the same way.

    ASSUMPTION (docs/architecture.md, "Facility time zones"): the key is an IANA name such as
    America/Sao_Paulo; the reference (§14) lists time_zone_id but not its key's format. A key written
    as a whole-hour fixed offset (UTC-3, GMT-03:00, -03:00, +05, UTC+0100) is read with
    the ISO sign (UTC-3 is three hours behind UTC) and becomes the IANA zone Etc/GMT+3, which DuckDB,
    PostgreSQL and Oracle all read correctly. Passed on as it is, PostgreSQL would read 'UTC-3' as a
    POSIX zone with the sign inverted (02:00Z would become 05:00 instead of 23:00 the day before) and
    DuckDB would fail. Any other key passes through unchanged; the test
    assert_facility_time_zones_are_known fails the build for a name the warehouse does not know
    (a half-hour offset such as +05:30 has no Etc zone: use the IANA name, e.g. Asia/Kolkata). -#}
{% macro wms_time_zone_name(key_expr) -%}
    {%- set key = "upper(trim(" ~ key_expr ~ "))" -%}
    {%- set offset = "'^(UTC|GMT)?([+-])0?([0-9]{1,2})(:?00)?$'" -%}
    case
        when {{ wms_regexp_like(key, offset) }}
            then case when regexp_replace({{ key }}, {{ offset }}, '\2') = '+' then 'Etc/GMT-' else 'Etc/GMT+' end
                || regexp_replace({{ key }}, {{ offset }}, '\3')
        else {{ key_expr }}
    end
{%- endmacro %}
