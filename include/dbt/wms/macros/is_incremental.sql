{#- dbt's is_incremental(), plus one switch for compiling without a database.
    `dbt compile --vars '{wms_compile_as_incremental: true}'` renders the incremental branch of every
    incremental model without asking the warehouse whether the table exists (the offline Oracle
    compile in include/dbt/tests uses it; that branch contains the whole model plus its filter).
    Unset (always, in real runs), this is exactly dbt's own macro. -#}
{% macro is_incremental() %}
    {% set forced = var('wms_compile_as_incremental', none) %}
    {% if forced is not none and model.config.materialized == 'incremental' %}
        {{ return(forced | as_bool) }}
    {% endif %}
    {{ return(dbt.is_incremental()) }}
{% endmacro %}
