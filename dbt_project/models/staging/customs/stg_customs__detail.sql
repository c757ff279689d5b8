-- Detailed extract: one row per period, vintage, flow, HS code, partner, trade mode and province.
with source as (
    select * from {{ source('customs', 'customs_detail') }}
),

renamed as (
    select
        cast(reference_month as date)                                   as reference_month,
        cast(months_in_period as integer)                               as months_in_period,
        {{ customs_period_start('reference_month', 'months_in_period') }} as period_start,
        {{ customs_period_end('reference_month') }}                     as period_end,
        cast(flow as string)                                            as flow,
        cast(data_month as string)                                      as data_month,
        cast(hs_code as string)                                         as hs_code,
        cast(commodity_name_zh as string)                               as commodity_name_zh,
        cast(partner_code as string)                                    as partner_code,
        cast(partner_name_zh as string)                                 as partner_name_zh,
        cast(trade_mode_code as string)                                 as trade_mode_code,
        cast(trade_mode_name_zh as string)                              as trade_mode_name_zh,
        cast(province_code as string)                                   as province_code,
        cast(province_name_zh as string)                                as province_name_zh,
        cast(quantity_1 as double)                                      as quantity_1,
        cast(unit_1 as string)                                          as unit_1,
        cast(quantity_2 as double)                                      as quantity_2,
        cast(unit_2 as string)                                          as unit_2,
        cast(value_cny as decimal(20, 2))                               as value_cny,
        cast(value_usd as decimal(20, 2))                               as value_usd,
        {{ lineage_columns() }}
    from source
)

select * from renamed
