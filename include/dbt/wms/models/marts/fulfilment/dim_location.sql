with

locations as (
    select * from {{ ref('stg_oracle_wms__locations') }}
),

final as (
    select
        location_id,
        facility_id,
        locn_str,
        barcode,
        area,
        aisle,
        bay,
        location_type_code,
        pick_zone,
        alloc_zone,
        is_deleted,
        deleted_at,
        modified_at
    from locations
)

select * from final
