-- Packing never exceeds what was allocated: per allocation and per order line.
select
    'allocation' as grain,
    allocation_id as record_id,
    alloc_qty as allocated,
    packed_qty as packed
from {{ ref('fct_allocations') }}
where
    is_cancelled = 0
    and packed_qty > alloc_qty

union all

select
    'order_line' as grain,
    order_dtl_id as record_id,
    allocated_units as allocated,
    packed_units as packed
from {{ ref('fct_order_lines') }}
where packed_units > allocated_units
