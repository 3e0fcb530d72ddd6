with

items as (
    select * from {{ ref('stg_oracle_wms__items') }}
),

final as (
    select
        item_id,
        company_id,
        item_code,
        item_description,
        barcode,
        is_deleted,
        deleted_at,
        modified_at
    from items
)

select * from final
