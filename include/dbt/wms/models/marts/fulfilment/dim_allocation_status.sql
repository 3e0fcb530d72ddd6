with

statuses as (
    select * from {{ ref('stg_oracle_wms__allocation_statuses') }}
),

final as (
    select
        allocation_status_id,
        allocation_status_name,
        case
            when allocation_status_id = {{ var('allocation_status_cancelled') }} then 1 else 0
        end as is_cancelled,
        is_deleted
    from statuses
)

select * from final
