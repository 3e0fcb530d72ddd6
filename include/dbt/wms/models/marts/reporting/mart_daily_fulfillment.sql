{#- One row per facility and facility-local calendar day with any order activity.
    Created metrics count orders by the local day they were created, shipped metrics by the local
    day they shipped, cancelled by the local day of their last change (the WMS keeps no
    cancellation timestamp). The median cycle time is taken over exact microsecond durations and
    converted to hours once, so every warehouse returns the same double. -#}
with

orders as (
    select * from {{ ref('fct_orders') }}
),

facilities as (
    select * from {{ ref('dim_facility') }}
),

localised as (
    select
        o.facility_id,
        o.units_ordered,
        o.units_allocated,
        o.units_packed,
        o.is_shipped,
        o.is_cancelled,
        {{ wms_microseconds_between('o.created_at', 'o.order_shipped_at') }} as cycle_microseconds,
        {{ wms_local_date('o.created_at', "coalesce(f.time_zone_name, '" ~ var('wms_default_time_zone') ~ "')") }}
            as created_date,
        {{ wms_local_date('o.order_shipped_at', "coalesce(f.time_zone_name, '" ~ var('wms_default_time_zone') ~ "')") }}
            as shipped_date,
        {{ wms_local_date('o.modified_at', "coalesce(f.time_zone_name, '" ~ var('wms_default_time_zone') ~ "')") }}
            as modified_date
    from orders o
    left join facilities f
        on o.facility_id = f.facility_id
),

created_by_day as (
    select
        facility_id,
        created_date as activity_date,
        count(*) as orders_created,
        sum(units_ordered) as units_ordered,
        sum(units_allocated) as units_allocated
    from localised
    group by facility_id, created_date
),

shipped_by_day as (
    select
        facility_id,
        shipped_date as activity_date,
        count(*) as orders_shipped,
        sum(units_packed) as units_shipped,
        sum(units_ordered) as shipped_orders_units_ordered,
        {{ wms_median('cycle_microseconds') }} as median_cycle_microseconds
    from localised
    where
        is_shipped = 1
        and shipped_date is not null
    group by facility_id, shipped_date
),

cancelled_by_day as (
    select
        facility_id,
        modified_date as activity_date,
        count(*) as orders_cancelled
    from localised
    where is_cancelled = 1
    group by facility_id, modified_date
),

facility_days as (
    select
        facility_id,
        activity_date
    from created_by_day
    union
    select
        facility_id,
        activity_date
    from shipped_by_day
    union
    select
        facility_id,
        activity_date
    from cancelled_by_day
),

final as (
    select
        fd.facility_id,
        f.facility_code,
        fd.activity_date,
        coalesce(c.orders_created, 0) as orders_created,
        coalesce(s.orders_shipped, 0) as orders_shipped,
        coalesce(x.orders_cancelled, 0) as orders_cancelled,
        coalesce(c.units_ordered, 0) as units_ordered,
        coalesce(c.units_allocated, 0) as units_allocated,
        coalesce(s.units_shipped, 0) as units_shipped,
        case
            when s.shipped_orders_units_ordered > 0
                then
                    cast(s.units_shipped as {{ wms_type_double() }})
                    / cast(s.shipped_orders_units_ordered as {{ wms_type_double() }})
        end as fill_rate,
        {{ wms_microseconds_to_hours('s.median_cycle_microseconds') }} as median_order_cycle_hours
    from facility_days fd
    left join facilities f
        on fd.facility_id = f.facility_id
    left join created_by_day c
        on fd.facility_id = c.facility_id
        and fd.activity_date = c.activity_date
    left join shipped_by_day s
        on fd.facility_id = s.facility_id
        and fd.activity_date = s.activity_date
    left join cancelled_by_day x
        on fd.facility_id = x.facility_id
        and fd.activity_date = x.activity_date
)

select * from final
