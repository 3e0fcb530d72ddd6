with

companies as (
    select * from {{ ref('stg_oracle_wms__companies') }}
),

final as (
    select
        company_id,
        company_code,
        company_name,
        company_type_code,
        is_deleted,
        deleted_at,
        modified_at
    from companies
)

select * from final
