-- The current-state models hold one row per WMS record.
select
    case when count(*) = count(distinct order_id) then 1 else 0 end as fct_orders_key_unique,
    (select case when count(*) = count(distinct order_dtl_id) then 1 else 0 end
        from {{ params.marts_schema }}.fct_order_lines) as fct_order_lines_key_unique,
    (select case when count(*) = count(distinct allocation_id) then 1 else 0 end
        from {{ params.marts_schema }}.fct_allocations) as fct_allocations_key_unique
from {{ params.marts_schema }}.fct_orders
