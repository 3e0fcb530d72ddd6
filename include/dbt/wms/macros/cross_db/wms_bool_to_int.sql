{#- A loaded boolean column as a 1/0 flag (NULL stays NULL). Oracle has no boolean column type
    before 23ai, so the loader stores NUMBER(1) there; every model exposes flags as 1/0. -#}
{% macro wms_bool_to_int(expr) -%}
    {{ return(adapter.dispatch('wms_bool_to_int', 'wms')(expr)) }}
{%- endmacro %}

{% macro default__wms_bool_to_int(expr) -%}
    case when {{ expr }} then 1 when not {{ expr }} then 0 end
{%- endmacro %}

{% macro oracle__wms_bool_to_int(expr) -%}
    case when {{ expr }} = 1 then 1 when {{ expr }} = 0 then 0 end
{%- endmacro %}
