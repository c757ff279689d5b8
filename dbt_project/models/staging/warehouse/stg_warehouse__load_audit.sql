-- The loader's decisions, one row per landing file looked at.
with source as (
    select * from {{ source('warehouse', 'load_audit') }}
),

renamed as (
    select
        cast(load_id as string)             as load_id,
        cast(feed as string)                as feed,
        cast(file_name as string)           as file_name,
        cast(file_sha256 as string)         as file_sha256,
        cast(file_bytes as bigint)          as file_bytes,
        cast(reference_month as date)       as reference_month,
        cast(flow as string)                as flow,
        cast(vintage as date)               as vintage,
        cast(status as string)              as status,
        cast(reason as string)              as reason,
        cast(rows_loaded as bigint)         as rows_loaded,
        started_at,
        finished_at,
        cast(quarantine_path as string)     as quarantine_path
    from source
)

select * from renamed
