with

source as (
    select * from {{ source('oracle_wms', 'inventory') }}
),

current_versions as (
    {{ wms_current_versions('source') }}
),

deletions as (
    {{ wms_full_sync_deletions('inventory', 'current_versions') }}
),

renamed as (
    select
        cv.id as inventory_id,
        cv.facility_id,
        cv.item_id,
        cv.location_id,
        cv.container_id,
        {{ wms_empty_as_null('cv.container_key') }} as container_nbr,
        cv.status_id as inventory_status_id,
        cast(cv.curr_qty as {{ dbt.type_numeric() }}) as curr_qty,
        cast(cv.orig_qty as {{ dbt.type_numeric() }}) as orig_qty,
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
