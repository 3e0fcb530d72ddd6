with

source as (
    select * from {{ source('oracle_wms', 'location') }}
),

current_versions as (
    {{ wms_current_versions('source') }}
),

deletions as (
    {{ wms_full_sync_deletions('location', 'current_versions') }}
),

renamed as (
    select
        cv.id as location_id,
        cv.facility_id,
        {{ wms_empty_as_null('cv.locn_str') }} as locn_str,
        {{ wms_empty_as_null('cv.barcode') }} as barcode,
        {{ wms_empty_as_null('cv.area') }} as area,
        {{ wms_empty_as_null('cv.aisle') }} as aisle,
        {{ wms_empty_as_null('cv.bay') }} as bay,
        {{ wms_empty_as_null('cv.type_key') }} as location_type_code,
        {{ wms_empty_as_null('cv.pick_zone') }} as pick_zone,
        {{ wms_empty_as_null('cv.alloc_zone') }} as alloc_zone,
        {{ wms_to_utc('cv.create_ts') }} as created_at,
        {{ wms_empty_as_null('cv.create_user') }} as created_by,
        {{ wms_to_utc('cv.mod_ts') }} as modified_at,
        {{ wms_empty_as_null('cv.mod_user') }} as modified_by,
        case when d.deleted_at is null then 0 else 1 end as is_deleted,
        d.deleted_at,
        d.purged_in_wms_at,
        {{ wms_to_utc('cv.etl_loaded_at') }} as etl_loaded_at
    from current_versions cv
    left join deletions d
        on cv.id = d.record_id
)

select * from renamed
