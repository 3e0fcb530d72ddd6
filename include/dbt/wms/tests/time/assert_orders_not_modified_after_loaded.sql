{#- A warning naming each order whose current version was stamped (mod_ts) later than the load that
    brought it, by more than var wms_future_mod_ts_tolerance_minutes: a WMS clock running far ahead.
    mart_order_backlog leaves such a time out of its reference time instead of aging every order to it. -#}
{{ config(severity='warn') }}

select
    order_id,
    modified_at,
    source_loaded_at
from {{ ref('fct_orders') }}
where
    modified_at > {{ dbt.dateadd('minute', var('wms_future_mod_ts_tolerance_minutes'), 'source_loaded_at') }}
