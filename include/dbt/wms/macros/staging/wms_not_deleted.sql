{#- Filter for records not deleted in the WMS: `flag` is a staging model's is_deleted (1/0, never NULL).
    Written as `<> 1` on purpose: PostgreSQL cannot estimate a filter on a computed column and guesses
    0.5 % of the rows for `= 0` (then plans the facts' joins as nested loops that re-run the staging
    views per row), but 99.5 % for `<> 1`, which is close to the truth. -#}
{% macro wms_not_deleted(flag) -%}
    {{ flag }} <> 1
{%- endmacro %}
