-- Chongqing's monthly trade, one row per customs period and flow (total / exports / imports).
select
    m.period_start,
    m.period_end,
    m.months_in_period,
    m.year,
    m.flow,
    {{ money('m.value_cny') }}                      as value_cny,
    {{ money('m.value_usd') }}                      as value_usd,
    {{ money('m.ytd_value_cny') }}                  as ytd_value_cny,
    {{ money('m.ytd_value_usd') }}                  as ytd_value_usd,
    m.yoy_pct,
    m.ytd_yoy_pct,
    m.published_yoy_pct,
    m.published_ytd_yoy_pct,
    m.is_record_high,
    m.vintage,
    m.reference_month,
    p.period_key,
    m.month,
    p.label_en,
    p.label_zh,
    m.yoy_pct_usd,
    m.ytd_yoy_pct_usd,
    m.published_yoy_pct_usd,
    m.published_ytd_yoy_pct_usd,
    {{ money('m.previous_single_month_high_cny') }} as previous_single_month_high_cny
from {{ ref('int_customs__trade_monthly') }} as m
inner join {{ ref('int_periods__customs_periods') }} as p on p.reference_month = m.reference_month
