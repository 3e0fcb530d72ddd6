{#- Unset WMS text arrives as ''. Oracle stores '' as NULL, so every warehouse turns empty and
    all-blank text into NULL for the three to agree; other values pass through untouched.
    (On Oracle trim('  ') is already NULL, hence the IS NULL branch.) -#}
{% macro wms_empty_as_null(expr) -%}
    case when trim({{ expr }}) = '' or trim({{ expr }}) is null then null else {{ expr }} end
{%- endmacro %}
