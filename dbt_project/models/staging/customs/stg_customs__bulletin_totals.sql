-- 总值表: one row per period, vintage, flow and currency (CNY in yuan, USD in US dollars).
with source as (
    select * from {{ source('customs', 'bulletin_totals') }}
),

renamed as (
    select
        cast(reference_month as date)                                   as reference_month,
        cast(months_in_period as integer)                               as months_in_period,
        {{ customs_period_start('reference_month', 'months_in_period') }} as period_start,
        {{ customs_period_end('reference_month') }}                     as period_end,
        cast(flow as string)                                            as flow,
        cast(currency as string)                                        as currency,
        cast(month_value as decimal(20, 2))                             as month_value,
        cast(ytd_value as decimal(20, 2))                               as ytd_value,
        cast(month_yoy_pct as double)                                   as published_month_yoy_pct,
        cast(ytd_yoy_pct as double)                                     as published_ytd_yoy_pct,
        {{ bulletin_lineage_columns() }}
    from source
)

select * from renamed
