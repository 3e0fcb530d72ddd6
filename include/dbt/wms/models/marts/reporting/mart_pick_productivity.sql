{#- Picks per facility, facility-local pick day and picker. Cancelled allocations are excluded.
    The median latency is taken over exact microsecond durations, then converted to hours once. -#}
with

allocations as (
    select * from {{ ref('fct_allocations') }}
),

facilities as (
    select * from {{ ref('dim_facility') }}
),

picks as (
    select
        a.facility_id,
        f.facility_code,
        {{ wms_local_date('a.picked_at', "coalesce(f.time_zone_name, '" ~ var('wms_default_time_zone') ~ "')") }}
            as pick_date,
        coalesce(a.pick_user, '(unknown)') as pick_user,
        a.alloc_qty,
        {{ wms_microseconds_between('a.created_at', 'a.picked_at') }} as latency_microseconds
    from allocations a
    left join facilities f
        on a.facility_id = f.facility_id
    where
        a.is_picked = 1
        and a.is_cancelled = 0
),

final as (
    select
        facility_id,
        facility_code,
        pick_date,
        pick_user,
        count(*) as allocations_picked,
        sum(alloc_qty) as units_picked,
        {{ wms_microseconds_to_hours(wms_median('latency_microseconds')) }} as median_pick_latency_hours
    from picks
    group by facility_id, facility_code, pick_date, pick_user
)

select * from final
