with

source as (
    select * from {{ source('oracle_wms', 'company') }}
),

current_versions as (
    {{ wms_current_versions('source') }}
),

deletions as (
    {{ wms_full_sync_deletions('company', 'current_versions') }}
),

renamed as (
    select
        cv.id as company_id,
        {{ wms_empty_as_null('cv.code') }} as company_code,
        {{ wms_empty_as_null('cv.name') }} as company_name,
        {{ wms_empty_as_null('cv.company_type_key') }} as company_type_code,
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
