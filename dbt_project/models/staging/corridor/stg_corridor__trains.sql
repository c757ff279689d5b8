-- Train log: one row per train and vintage. Trains are always monthly: a month is its own period.
with source as (
    select * from {{ source('corridor', 'corridor_trains') }}
),

renamed as (
    select
        cast(reference_month as date)                                   as reference_month,
        1                                                               as months_in_period,
        cast(reference_month as date)                                   as period_start,
        {{ customs_period_end('reference_month') }}                     as period_end,
        cast(train_id as string)                                        as train_id,
        cast(service as string)                                         as service,
        departure_at,
        cast(origin as string)                                          as origin,
        cast(destination as string)                                     as destination,
        cast(direction as string)                                       as direction,
        cast(wagons as integer)                                         as wagons,
        cast(teu as integer)                                            as teu,
        cast(cargo_value_cny as decimal(20, 2))                         as cargo_value_cny,
        cast(cargo as string)                                           as cargo_description,
        {{ lineage_columns() }}
    from source
)

select * from renamed
