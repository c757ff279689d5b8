{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_partner_trade'}}}) }}
-- The marts' WORLD partner row matches fct_trade_monthly: both must come from the same
-- bulletin vintage, whose 国别地区 总值 (万元) the door held to its 总值表 (亿元) within the
-- rounding of each (vars in dbt_project.yml). WARN: the door refuses inconsistent
-- workbooks; here a gap between the two marts is reported, not blocking.
select p.period_start, p.flow, p.value_cny as partner_sheet_cny, t.value_cny as totals_sheet_cny,
       p.ytd_value_cny as partner_sheet_ytd_cny, t.ytd_value_cny as totals_sheet_ytd_cny
from {{ ref('fct_partner_trade') }} as p
inner join {{ ref('fct_trade_monthly') }} as t
    on t.period_start = p.period_start
   and t.flow = p.flow
where p.partner = 'WORLD'
  and (abs(p.value_cny - t.value_cny) > {{ var('bulletin_rounding_yi_cny') + var('bulletin_rounding_wan_cny') }}
       or abs(p.ytd_value_cny - t.ytd_value_cny) > {{ var('bulletin_rounding_yi_cny') + var('bulletin_rounding_wan_cny') }})
