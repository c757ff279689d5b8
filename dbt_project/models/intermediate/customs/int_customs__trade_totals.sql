-- The latest-vintage 总值表 of each period, one row per period and flow, both currencies side by side.
with latest as (
    select reference_month, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_bulletin'
),

totals as (
    select t.*
    from {{ ref('stg_customs__bulletin_totals') }} as t
    inner join latest as l
        on l.reference_month = t.reference_month
       and l.vintage = t.vintage
)

select
    reference_month,
    period_start,
    period_end,
    months_in_period,
    flow,
    {{ money("max(case when currency = 'CNY' then month_value end)") }} as value_cny,
    {{ money("max(case when currency = 'USD' then month_value end)") }} as value_usd,
    {{ money("max(case when currency = 'CNY' then ytd_value end)") }}   as ytd_value_cny,
    {{ money("max(case when currency = 'USD' then ytd_value end)") }}   as ytd_value_usd,
    max(case when currency = 'CNY' then published_month_yoy_pct end)    as published_yoy_pct,
    max(case when currency = 'CNY' then published_ytd_yoy_pct end)      as published_ytd_yoy_pct,
    max(case when currency = 'USD' then published_month_yoy_pct end)    as published_yoy_pct_usd,
    max(case when currency = 'USD' then published_ytd_yoy_pct end)      as published_ytd_yoy_pct_usd,
    max(vintage)                                                        as vintage,
    max(source_sha256)                                                  as source_file_id,
    max(source_sheet)                                                   as source_sheet,
    max(case when currency = 'CNY' then source_row end)                 as source_row,
    max(case when currency = 'USD' then source_row end)                 as source_row_usd
from totals
group by reference_month, period_start, period_end, months_in_period, flow
