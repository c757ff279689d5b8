-- 贸易方式: one row per period, vintage, flow and printed trade-mode row; values in yuan.
with source as (
    select * from {{ source('customs', 'bulletin_trade_modes') }}
),

renamed as (
    select
        cast(reference_month as date)                                   as reference_month,
        cast(months_in_period as integer)                               as months_in_period,
        {{ customs_period_start('reference_month', 'months_in_period') }} as period_start,
        {{ customs_period_end('reference_month') }}                     as period_end,
        trim(cast(trade_mode_name_zh as string))                       as trade_mode_name_zh,
        trim(cast(parent_name_zh as string))                           as parent_name_zh,
        cast(is_sub_item as boolean)                                    as is_sub_item,
        cast(flow as string)                                            as flow,
        cast(month_value_cny as decimal(20, 2))                         as month_value_cny,
        cast(ytd_value_cny as decimal(20, 2))                           as ytd_value_cny,
        {{ bulletin_lineage_columns() }}
    from source
)

select * from renamed
