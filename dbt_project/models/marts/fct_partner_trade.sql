-- Trade by partner: every row of the bulletin's 国别地区 sheet (countries / regions, groups, continents, world, 其他).
select
    period_start,
    period_end,
    partner,
    partner_kind,
    partner_name_en,
    partner_name_zh,
    flow,
    {{ money('value_cny') }}            as value_cny,
    {{ money('ytd_value_cny') }}        as ytd_value_cny,
    ytd_yoy_pct,
    ytd_share_pct,
    ytd_rank,
    reference_month,
    months_in_period,
    year,
    continent,
    bulletin_name_zh,
    member_of                           as member_of_groups,
    share_pct,
    published_ytd_yoy_pct,
    vintage
from {{ ref('int_customs__partner_trade') }}
