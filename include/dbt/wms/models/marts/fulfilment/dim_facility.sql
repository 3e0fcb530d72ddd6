with

facilities as (
    select * from {{ ref('stg_oracle_wms__facilities') }}
),

final as (
    select
        facility_id,
        facility_code,
        facility_name,
        city,
        state_code,
        country,
        parent_company_id,
        coalesce(time_zone_name, '{{ var("wms_default_time_zone") }}') as time_zone_name,
        is_deleted,
        deleted_at,
        modified_at
    from facilities
)

select * from final
