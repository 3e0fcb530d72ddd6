{#- A warning with the count of live facilities that have no time zone key: their local days are those
    of var wms_default_time_zone (UTC unless set), which is right only if that is where they are. -#}
{{ config(severity='warn') }}

select
    facility_id,
    facility_code
from {{ ref('stg_oracle_wms__facilities') }}
where time_zone_name is null and is_deleted = 0
