with

source as (
    select * from {{ source('oracle_wms', 'allocation') }}
),

current_versions as (
    {{ wms_current_versions('source') }}
),

deletions as (
    {{ wms_full_sync_deletions('allocation', 'current_versions') }}
),

renamed as (
    select
        cv.id as allocation_id,
        cv.order_dtl_id,
        cv.from_inventory_id,
        cv.to_inventory_id,
        cv.status_id as allocation_status_id,
        cast(cv.alloc_qty as {{ dbt.type_numeric() }}) as alloc_qty,
        cast(cv.packed_qty as {{ dbt.type_numeric() }}) as packed_qty,
        {{ wms_empty_as_null('cv.alloc_uom_key') }} as alloc_uom_code,
        {{ wms_empty_as_null('cv.type_key') }} as allocation_type_code,
        cv.wave_id,
        {{ wms_empty_as_null('cv.wave_key') }} as wave_nbr,
        cv.task_id,
        {{ wms_empty_as_null('cv.task_key') }} as task_nbr,
        {{ wms_empty_as_null('cv.pick_user') }} as pick_user,
        {{ wms_empty_as_null('cv.pick_locn_str') }} as pick_locn_str,
        {{ wms_to_utc('cv.picked_ts') }} as picked_at,
        {{ wms_bool_to_int('cv.is_picking_flg') }} as is_picking,
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
