with

source as (
    select * from {{ source('oracle_wms', 'order_dtl') }}
),

current_versions as (
    {{ wms_current_versions('source') }}
),

deletions as (
    {{ wms_full_sync_deletions('order_dtl', 'current_versions') }}
),

renamed as (
    select
        cv.id as order_dtl_id,
        cv.order_id,
        {{ wms_empty_as_null('cv.order_key') }} as order_nbr,
        cv.seq_nbr,
        cv.item_id,
        {{ wms_empty_as_null('cv.item_key') }} as item_code,
        cv.status_id as order_dtl_status_id,
        cast(cv.ord_qty as {{ dbt.type_numeric() }}) as ord_qty,
        cast(cv.orig_ord_qty as {{ dbt.type_numeric() }}) as orig_ord_qty,
        cast(cv.alloc_qty as {{ dbt.type_numeric() }}) as alloc_qty,
        cv.uom_id,
        {{ wms_empty_as_null('cv.uom_key') }} as uom_code,
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
