-- Annual trade by partner: the year-to-date of the year's latest period, with its share and rank.
select
    y.year,
    p.partner,
    p.partner_kind,
    p.flow,
    {{ money('p.ytd_value_cny') }}      as value_cny,
    p.ytd_yoy_pct                       as yoy_pct,
    p.ytd_share_pct                     as share_pct,
    p.ytd_rank                          as rank,
    y.is_complete,
    p.partner_name_en,
    p.partner_name_zh,
    p.continent,
    p.published_ytd_yoy_pct             as published_yoy_pct,
    y.latest_reference_month            as through_reference_month,
    y.months_covered,
    p.vintage,
    p.source_file_id,
    p.source_sheet,
    p.source_row
from {{ ref('int_periods__years') }} as y
inner join {{ ref('int_customs__partner_trade') }} as p on p.reference_month = y.latest_reference_month
