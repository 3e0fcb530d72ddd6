with

source as (
    select * from {{ source('oracle_wms', 'order_hdr') }}
),

current_versions as (
    {{ wms_current_versions('source') }}
),

deletions as (
    {{ wms_full_sync_deletions('order_hdr', 'current_versions') }}
),

renamed as (
    select
        cv.id as order_id,
        cv.facility_id,
        {{ wms_empty_as_null('cv.facility_key') }} as facility_code,
        cv.company_id,
        {{ wms_empty_as_null('cv.company_key') }} as company_code,
        {{ wms_empty_as_null('cv.order_nbr') }} as order_nbr,
        cv.order_type_id,
        {{ wms_empty_as_null('cv.order_type_key') }} as order_type_code,
        cv.status_id as order_status_id,
        cv.destination_company_id,
        {{ wms_empty_as_null('cv.cust_nbr') }} as cust_nbr,
        {{ wms_empty_as_null('cv.cust_name') }} as cust_name,
        {{ wms_empty_as_null('cv.shipto_city') }} as shipto_city,
        {{ wms_empty_as_null('cv.shipto_country') }} as shipto_country,
        {{ wms_empty_as_null('cv.ref_nbr') }} as ref_nbr,
        {{ wms_empty_as_null('cv.sales_order_nbr') }} as sales_order_nbr,
        {{ wms_empty_as_null('cv.customer_po_nbr') }} as customer_po_nbr,
        cv.priority,
        cast(cv.ord_date as date) as ord_date,
        cast(cv.req_ship_date as date) as req_ship_date,
        cast(cv.sched_ship_date as date) as sched_ship_date,
        {{ wms_to_utc('cv.order_shipped_ts') }} as order_shipped_at,
        cast(cv.total_orig_ord_qty as {{ dbt.type_numeric() }}) as total_orig_ord_qty,
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
