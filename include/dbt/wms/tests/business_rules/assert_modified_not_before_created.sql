-- A record's last modification (mod_ts) is never earlier than its creation (create_ts).
select
    'order_hdrs' as model_name,
    order_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__order_hdrs') }}
where modified_at < created_at

union all

select
    'order_dtls' as model_name,
    order_dtl_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__order_dtls') }}
where modified_at < created_at

union all

select
    'allocations' as model_name,
    allocation_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__allocations') }}
where modified_at < created_at

union all

select
    'order_statuses' as model_name,
    order_status_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__order_statuses') }}
where modified_at < created_at

union all

select
    'allocation_statuses' as model_name,
    allocation_status_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__allocation_statuses') }}
where modified_at < created_at

union all

select
    'facilities' as model_name,
    facility_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__facilities') }}
where modified_at < created_at

union all

select
    'companies' as model_name,
    company_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__companies') }}
where modified_at < created_at

union all

select
    'items' as model_name,
    item_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__items') }}
where modified_at < created_at

union all

select
    'locations' as model_name,
    location_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__locations') }}
where modified_at < created_at

union all

select
    'inventories' as model_name,
    inventory_id as record_id,
    created_at,
    modified_at
from {{ ref('stg_oracle_wms__inventories') }}
where modified_at < created_at
