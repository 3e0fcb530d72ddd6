{{
    config(
        materialized='incremental',
        unique_key='allocation_id',
        incremental_strategy=wms_incremental_strategy(),
        on_schema_change='fail'
    )
}}

with

allocations as (
    select * from {{ ref('stg_oracle_wms__allocations') }}
    where {{ wms_not_deleted('is_deleted') }}
),

lines as (
    select * from {{ ref('stg_oracle_wms__order_dtls') }}
),

orders as (
    select * from {{ ref('stg_oracle_wms__order_hdrs') }}
),

inventories as (
    select * from {{ ref('stg_oracle_wms__inventories') }}
),

statuses as (
    select * from {{ ref('dim_allocation_status') }}
),

joined as (
    select
        a.allocation_id,
        a.order_dtl_id,
        l.order_id,
        o.order_nbr,
        l.seq_nbr,
        o.facility_id,
        o.company_id,
        l.item_id,
        a.from_inventory_id,
        i.location_id,
        a.pick_locn_str,
        a.allocation_status_id,
        s.allocation_status_name,
        case
            when a.allocation_status_id = {{ var('allocation_status_cancelled') }} then 1 else 0
        end as is_cancelled,
        case when a.picked_at is not null then 1 else 0 end as is_picked,
        a.alloc_qty,
        coalesce(a.packed_qty, 0) as packed_qty,
        a.alloc_uom_code,
        a.wave_nbr,
        a.task_nbr,
        a.pick_user,
        a.created_at,
        a.picked_at,
        case
            when a.picked_at is not null
                then {{ wms_hours_between('a.created_at', 'a.picked_at') }}
        end as pick_latency_hours,
        a.modified_at,
        a.purged_in_wms_at,
        greatest(
            a.etl_loaded_at,
            coalesce(l.etl_loaded_at, a.etl_loaded_at),
            coalesce(o.etl_loaded_at, a.etl_loaded_at)
        ) as source_loaded_at
    from allocations a
    left join lines l
        on a.order_dtl_id = l.order_dtl_id
    left join orders o
        on l.order_id = o.order_id
    left join inventories i
        on a.from_inventory_id = i.inventory_id
    left join statuses s
        on a.allocation_status_id = s.allocation_status_id
)

select * from joined
{% if is_incremental() %}
where
    source_loaded_at >= (
        select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(source_loaded_at)') }}
        from {{ this }}
    )
{% endif %}
