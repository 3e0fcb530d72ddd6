with

statuses as (
    select * from {{ ref('stg_oracle_wms__order_statuses') }}
),

final as (
    select
        order_status_id,
        order_status_name,
        case when order_status_id = {{ var('order_status_shipped') }} then 1 else 0 end as is_shipped,
        case when order_status_id = {{ var('order_status_cancelled') }} then 1 else 0 end as is_cancelled,
        case
            when order_status_id in ({{ var('order_status_shipped') }}, {{ var('order_status_cancelled') }})
                then 0
            else 1
        end as is_open,
        is_deleted
    from statuses
)

select * from final
