{#- Open orders per facility, status and age bucket, aged to the newest WMS change the warehouse
    holds (the largest modified_at in fct_orders). Ages are WMS time minus WMS time: neither the
    wall clock nor the loader's commit time (another clock, later by however long the pipeline lagged)
    enters, so the same WMS history gives the same backlog whenever and however often it is loaded.
    The reference time cannot run ahead of the loads: a modification stamped later than the load that
    brought it (by more than var wms_future_mod_ts_tolerance_minutes, a WMS clock glitch) is left out
    of it, and the warning test assert_orders_not_modified_after_loaded names the order. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
),

newest_change as (
    select max(modified_at) as as_of_at
    from orders
    where
        modified_at <= {{ dbt.dateadd('minute', var('wms_future_mod_ts_tolerance_minutes'), 'source_loaded_at') }}
),

open_orders as (
    select
        o.facility_id,
        o.facility_code,
        o.order_status_id,
        o.order_status_name,
        o.units_ordered,
        o.units_allocated,
        nc.as_of_at,
        {{ wms_hours_between('o.created_at', 'nc.as_of_at') }} as age_hours
    from orders o
    cross join newest_change nc
    where o.is_open = 1
),

bucketed as (
    select
        facility_id,
        facility_code,
        order_status_id,
        order_status_name,
        units_ordered,
        units_allocated,
        as_of_at,
        age_hours,
        case
            when age_hours < 24 then '0-1d'
            when age_hours < 48 then '1-2d'
            when age_hours < 72 then '2-3d'
            when age_hours < 168 then '3-7d'
            else '7d+'
        end as age_bucket,
        case
            when age_hours < 24 then 1
            when age_hours < 48 then 2
            when age_hours < 72 then 3
            when age_hours < 168 then 4
            else 5
        end as age_bucket_rank
    from open_orders
),

final as (
    select
        facility_id,
        facility_code,
        order_status_id,
        order_status_name,
        age_bucket,
        age_bucket_rank,
        count(*) as open_orders,
        sum(units_ordered) as units_ordered,
        sum(units_allocated) as units_allocated,
        cast(max(age_hours) as {{ wms_type_double() }}) as oldest_age_hours,
        max(as_of_at) as as_of_at
    from bucketed
    group by
        facility_id,
        facility_code,
        order_status_id,
        order_status_name,
        age_bucket,
        age_bucket_rank
)

select * from final
