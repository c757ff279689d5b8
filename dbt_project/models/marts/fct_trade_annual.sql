-- Annual trade per flow: the year-to-date of the year's latest period (December for a complete year).
select
    y.year,
    m.flow,
    {{ money('m.ytd_value_cny') }}      as value_cny,
    {{ money('m.ytd_value_usd') }}      as value_usd,
    m.ytd_yoy_pct                       as yoy_pct,
    y.is_complete,
    m.ytd_yoy_pct_usd                   as yoy_pct_usd,
    m.published_ytd_yoy_pct             as published_yoy_pct,
    y.months_covered,
    y.latest_reference_month            as through_reference_month,
    y.latest_period_end                 as through_period_end,
    m.vintage,
    m.source_file_id,
    m.source_sheet,
    m.source_row,
    m.source_row_usd
from {{ ref('int_periods__years') }} as y
inner join {{ ref('int_customs__trade_monthly') }} as m on m.reference_month = y.latest_reference_month
