{{
    config(
        materialized='incremental',
        unique_key='order_dtl_id',
        incremental_strategy=wms_incremental_strategy(),
        on_schema_change='fail'
    )
}}

with

lines as (
    select * from {{ ref('stg_oracle_wms__order_dtls') }}
    where {{ wms_not_deleted('is_deleted') }}
),

orders as (
    select * from {{ ref('stg_oracle_wms__order_hdrs') }}
    where {{ wms_not_deleted('is_deleted') }}
),

allocation_sums as (
    select * from {{ ref('int_allocations_summed_to_order_lines') }}
),

joined as (
    select
        l.order_dtl_id,
        l.order_id,
        o.facility_id,
        o.company_id,
        o.order_nbr,
        l.seq_nbr,
        l.item_id,
        l.item_code,
        l.order_dtl_status_id,
        l.ord_qty,
        l.orig_ord_qty,
        l.alloc_qty,
        coalesce(a.allocation_count, 0) as allocation_count,
        coalesce(a.allocated_units, 0) as allocated_units,
        coalesce(a.packed_units, 0) as packed_units,
        coalesce(a.picked_units, 0) as picked_units,
        case
            when l.ord_qty > coalesce(a.allocated_units, 0) then l.ord_qty - coalesce(a.allocated_units, 0)
            else 0
        end as short_qty,
        l.created_at,
        l.modified_at,
        l.purged_in_wms_at,
        greatest(
            l.etl_loaded_at,
            o.etl_loaded_at,
            coalesce(a.last_loaded_at, l.etl_loaded_at)
        ) as source_loaded_at
    from lines l
    inner join orders o
        on l.order_id = o.order_id
    left join allocation_sums a
        on l.order_dtl_id = a.order_dtl_id
)

select * from joined
{% if is_incremental() %}
where
    source_loaded_at >= (
        select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(source_loaded_at)') }}
        from {{ this }}
    )
{% endif %}
