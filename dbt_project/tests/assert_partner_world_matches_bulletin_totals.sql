{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_partner_trade'}}}) }}
-- The 国别地区 sheet's 总值 row (万元) matches the 总值表 (亿元) of the same bulletin within
-- the coarser rounding (0.05 亿元 = 5,000,000 yuan). WARN: the loader owns refusing
-- inconsistent workbooks; here a gap is reported, not blocking.
select p.period_start, p.flow, p.value_cny as partner_sheet_cny, t.value_cny as totals_sheet_cny,
       p.ytd_value_cny as partner_sheet_ytd_cny, t.ytd_value_cny as totals_sheet_ytd_cny
from {{ ref('fct_partner_trade') }} as p
inner join {{ ref('fct_trade_monthly') }} as t
    on t.period_start = p.period_start
   and t.flow = p.flow
where p.partner = 'WORLD'
  and (abs(p.value_cny - t.value_cny) > 5000000 or abs(p.ytd_value_cny - t.ytd_value_cny) > 5000000)
