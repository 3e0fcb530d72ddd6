{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy=wms_incremental_strategy(),
        on_schema_change='fail'
    )
}}

with

orders as (
    select * from {{ ref('stg_oracle_wms__order_hdrs') }}
    where {{ wms_not_deleted('is_deleted') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

facilities as (
    select * from {{ ref('dim_facility') }}
),

companies as (
    select * from {{ ref('dim_company') }}
),

statuses as (
    select * from {{ ref('dim_order_status') }}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(ord_qty) as units_ordered,
        sum(allocated_units) as units_allocated,
        sum(packed_units) as units_packed,
        max(source_loaded_at) as lines_loaded_at
    from order_lines
    group by order_id
),

flagged as (
    select
        o.*,
        coalesce(f.time_zone_name, '{{ var("wms_default_time_zone") }}') as time_zone_name,
        f.facility_code as dim_facility_code,
        c.company_code as dim_company_code,
        s.order_status_name,
        case when o.order_status_id = {{ var('order_status_shipped') }} then 1 else 0 end as is_shipped,
        case when o.order_status_id = {{ var('order_status_cancelled') }} then 1 else 0 end as is_cancelled,
        case
            when o.order_status_id in ({{ var('order_status_shipped') }}, {{ var('order_status_cancelled') }})
                then 0
            else 1
        end as is_open
    from orders o
    left join facilities f
        on o.facility_id = f.facility_id
    left join companies c
        on o.company_id = c.company_id
    left join statuses s
        on o.order_status_id = s.order_status_id
),

final as (
    select
        fo.order_id,
        fo.facility_id,
        coalesce(fo.dim_facility_code, fo.facility_code) as facility_code,
        fo.company_id,
        coalesce(fo.dim_company_code, fo.company_code) as company_code,
        fo.order_nbr,
        fo.order_type_code,
        fo.order_status_id,
        fo.order_status_name,
        fo.ord_date,
        fo.created_at,
        fo.req_ship_date,
        fo.order_shipped_at,
        coalesce(lt.line_count, 0) as line_count,
        coalesce(lt.units_ordered, 0) as units_ordered,
        coalesce(lt.units_allocated, 0) as units_allocated,
        coalesce(lt.units_packed, 0) as units_packed,
        case
            when lt.units_ordered > 0
                then
                    cast(lt.units_allocated as {{ wms_type_double() }})
                    / cast(lt.units_ordered as {{ wms_type_double() }})
        end as fill_rate,
        fo.is_open,
        fo.is_cancelled,
        fo.is_shipped,
        case
            when fo.is_shipped = 1 and fo.order_shipped_at is not null
                then {{ wms_hours_between('fo.created_at', 'fo.order_shipped_at') }}
        end as order_cycle_hours,
        case
            when fo.is_shipped = 1 and fo.order_shipped_at is not null and fo.req_ship_date is not null
                then cast(greatest(
                    {{ dbt.datediff('fo.req_ship_date',
                        wms_local_date('fo.order_shipped_at', 'fo.time_zone_name'), 'day') }},
                    0
                ) as {{ dbt.type_int() }})
        end as days_late,
        fo.modified_at,
        fo.purged_in_wms_at,
        greatest(fo.etl_loaded_at, coalesce(lt.lines_loaded_at, fo.etl_loaded_at)) as source_loaded_at
    from flagged fo
    left join line_totals lt
        on fo.order_id = lt.order_id
)

select * from final
{% if is_incremental() %}
where
    source_loaded_at >= (
        select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours'), 'max(source_loaded_at)') }}
        from {{ this }}
    )
{% endif %}
