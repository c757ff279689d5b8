-- Exports + imports = total for every period, month and year to date, in yuan and US
-- dollars, within the bulletin's rounding (one decimal of 亿元 / 百万美元 on each of three
-- printed figures: 0.15 亿元 = 15,000,000 yuan; 0.15 百万美元 = 150,000 US dollars).
with pivoted as (
    select
        period_start,
        max(case when flow = 'total' then value_cny end)        as total_cny,
        sum(case when flow <> 'total' then value_cny end)       as parts_cny,
        max(case when flow = 'total' then ytd_value_cny end)    as total_ytd_cny,
        sum(case when flow <> 'total' then ytd_value_cny end)   as parts_ytd_cny,
        max(case when flow = 'total' then value_usd end)        as total_usd,
        sum(case when flow <> 'total' then value_usd end)       as parts_usd,
        count(*)                                                as flows
    from {{ ref('fct_trade_monthly') }}
    group by period_start
)

select *
from pivoted
where flows <> 3
   or abs(total_cny - parts_cny) > 15000000
   or abs(total_ytd_cny - parts_ytd_cny) > 15000000
   or abs(total_usd - parts_usd) > 150000
