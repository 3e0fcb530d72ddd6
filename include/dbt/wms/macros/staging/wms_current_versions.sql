{#- The newest version (largest mod_ts) of each record in a raw history relation: the versions no
    newer version of the same id exists for. The raw tables keep every version keyed by (id, mod_ts),
    so exactly one version per id qualifies.
    Written as an anti-join, not as row_number() = 1: PostgreSQL estimates a filter on a window
    function's result at 0.5 % of the rows, plans the facts' joins over these views as nested loops
    and re-runs the views per outer row (minutes on a few hundred records); an anti-join it
    estimates from the table's statistics, and Oracle and DuckDB run it as a hash anti-join. -#}
{% macro wms_current_versions(relation) -%}
    select versions.*
    from {{ relation }} versions
    where not exists (
        select 1
        from {{ relation }} newer
        where newer.id = versions.id
            and newer.mod_ts > versions.mod_ts
    )
{%- endmacro %}
