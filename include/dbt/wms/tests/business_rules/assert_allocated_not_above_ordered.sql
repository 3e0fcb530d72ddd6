-- An order line never has more units allocated (live allocations) than ordered.
select
    order_dtl_id,
    ord_qty,
    allocated_units
from {{ ref('fct_order_lines') }}
where allocated_units > ord_qty
