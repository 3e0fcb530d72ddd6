{#- Every facility's time zone is one the warehouse knows. A key in another format (a POSIX zone such
    as 'UTC-3' that PostgreSQL would read with the sign inverted, a half-hour offset, a typo) fails the
    build here, naming the facility, before any mart buckets its orders by the wrong local day. Fix the
    key in the WMS, or map it (macros/staging/wms_time_zone_name.sql). -#}
with

known as (
    {{ wms_known_time_zones() }}
)

select
    f.facility_id,
    f.facility_code,
    f.time_zone_key,
    f.time_zone_name
from {{ ref('stg_oracle_wms__facilities') }} f
where
    f.time_zone_name is not null
    and not exists (
        select 1 from known k where upper(k.name) = upper(f.time_zone_name)
    )
