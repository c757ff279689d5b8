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
        cast(train_id as varchar)                                       as train_id,
        cast(service as varchar)                                        as service,
        cast(departure_at as timestamptz)                               as departure_at,
        cast(origin as varchar)                                         as origin,
        cast(destination as varchar)                                    as destination,
        cast(direction as varchar)                                      as direction,
        cast(wagons as integer)                                         as wagons,
        cast(teu as integer)                                            as teu,
        cast(cargo_value_cny as decimal(20, 2))                         as cargo_value_cny,
        cast(cargo as varchar)                                          as cargo_description,
        {{ lineage_columns() }}
    from source
)

select * from renamed
