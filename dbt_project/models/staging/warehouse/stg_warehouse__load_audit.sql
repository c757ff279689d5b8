-- The loader's decisions, one row per landing file looked at.
with source as (
    select * from {{ source('warehouse', 'load_audit') }}
),

renamed as (
    select
        cast(load_id as varchar)            as load_id,
        cast(feed as varchar)               as feed,
        cast(file_name as varchar)          as file_name,
        cast(file_sha256 as varchar)        as file_sha256,
        cast(file_bytes as bigint)          as file_bytes,
        cast(reference_month as date)       as reference_month,
        cast(flow as varchar)               as flow,
        cast(vintage as date)               as vintage,
        cast(status as varchar)             as status,
        cast(reason as varchar)             as reason,
        cast(rows_loaded as bigint)         as rows_loaded,
        started_at,
        finished_at,
        cast(quarantine_path as varchar)    as quarantine_path
    from source
)

select * from renamed
