-- 主要出口商品 / 主要进口商品: one row per period, vintage, flow and printed commodity row.
with source as (
    select * from {{ source('customs', 'bulletin_commodities') }}
),

renamed as (
    select
        cast(reference_month as date)                                   as reference_month,
        cast(months_in_period as integer)                               as months_in_period,
        {{ customs_period_start('reference_month', 'months_in_period') }} as period_start,
        {{ customs_period_end('reference_month') }}                     as period_end,
        cast(flow as string)                                            as flow,
        trim(cast(commodity_name_zh as string))                        as commodity_name_zh,
        trim(cast(parent_name_zh as string))                           as parent_name_zh,
        cast(is_sub_item as boolean)                                    as is_sub_item,
        cast(is_overlapping_aggregate as boolean)                       as is_overlapping_aggregate,
        cast(unit as string)                                            as unit,
        cast(month_quantity as double)                                  as month_quantity,
        cast(month_value_cny as decimal(20, 2))                         as month_value_cny,
        cast(ytd_quantity as double)                                    as ytd_quantity,
        cast(ytd_value_cny as decimal(20, 2))                           as ytd_value_cny,
        cast(ytd_quantity_yoy_pct as double)                            as published_ytd_quantity_yoy_pct,
        cast(ytd_value_yoy_pct as double)                               as published_ytd_value_yoy_pct,
        {{ bulletin_lineage_columns() }}
    from source
)

select * from renamed
