-- Order lines point at known orders and allocations at known lines, except for a small tolerance
-- (a child can arrive one window before its parent).
select
    (select case when count(*) <= {{ params.orphan_tolerance_ratio | float }} * (select count(*) + 1
            from {{ params.marts_schema }}.fct_order_lines) then 1 else 0 end
        from {{ params.marts_schema }}.fct_order_lines l
        where not exists (select 1 from {{ params.marts_schema }}.fct_orders o where o.order_id = l.order_id)
    ) as lines_have_orders,
    (select case when count(*) <= {{ params.orphan_tolerance_ratio | float }} * (select count(*) + 1
            from {{ params.marts_schema }}.fct_allocations) then 1 else 0 end
        from {{ params.marts_schema }}.fct_allocations a
        where not exists (
            select 1 from {{ params.marts_schema }}.fct_order_lines l where l.order_dtl_id = a.order_dtl_id)
    ) as allocations_have_lines
from (select count(*) as order_rows from {{ params.marts_schema }}.fct_orders) one_row
