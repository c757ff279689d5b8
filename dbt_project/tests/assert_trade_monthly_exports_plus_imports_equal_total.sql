-- Exports + imports = total for every period, month and year to date, in yuan and US
-- dollars, within the bulletin's rounding of three printed figures (vars in dbt_project.yml).
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
   or abs(total_cny - parts_cny) > {{ 3 * var('bulletin_rounding_yi_cny') }}
   or abs(total_ytd_cny - parts_ytd_cny) > {{ 3 * var('bulletin_rounding_yi_cny') }}
   or abs(total_usd - parts_usd) > {{ 3 * var('bulletin_rounding_million_usd') }}
