{#- Allocation quantities per order line. Deleted and cancelled allocations allocate nothing, but
    their load time still counts in last_loaded_at: an allocation that was just cancelled changes
    its line's totals, so the incremental facts must re-merge that line. -#}
with

allocations as (
    select * from {{ ref('stg_oracle_wms__allocations') }}
),

flagged as (
    select
        order_dtl_id,
        alloc_qty,
        coalesce(packed_qty, 0) as packed_qty,
        picked_at,
        etl_loaded_at,
        case
            when
                is_deleted = 0
                and coalesce(allocation_status_id, -1) <> {{ var('allocation_status_cancelled') }}
                then 1
            else 0
        end as is_live
    from allocations
),

summed as (
    select
        order_dtl_id,
        sum(is_live) as allocation_count,
        sum(case when is_live = 1 then alloc_qty end) as allocated_units,
        sum(case when is_live = 1 then packed_qty end) as packed_units,
        sum(case when is_live = 1 and picked_at is not null then alloc_qty end) as picked_units,
        max(etl_loaded_at) as last_loaded_at
    from flagged
    group by order_dtl_id
)

select * from summed
