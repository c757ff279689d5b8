-- 国别地区: one row per period, vintage, printed row and flow; values in yuan.
with source as (
    select * from {{ source('customs', 'bulletin_partners') }}
),

renamed as (
    select
        cast(reference_month as date)                                   as reference_month,
        cast(months_in_period as integer)                               as months_in_period,
        {{ customs_period_start('reference_month', 'months_in_period') }} as period_start,
        {{ customs_period_end('reference_month') }}                     as period_end,
        trim(cast(partner_name_zh as string))                          as partner_name_zh,
        cast(row_kind as string)                                        as row_kind,
        trim(cast(continent_name_zh as string))                        as continent_name_zh,
        cast(flow as string)                                            as flow,
        cast(month_value_cny as decimal(20, 2))                         as month_value_cny,
        cast(ytd_value_cny as decimal(20, 2))                           as ytd_value_cny,
        cast(ytd_yoy_pct as double)                                     as published_ytd_yoy_pct,
        {{ bulletin_lineage_columns() }}
    from source
)

select * from renamed
