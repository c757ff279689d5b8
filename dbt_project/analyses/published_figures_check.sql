-- Compare the marts with the figures Chongqing Customs and the press published (priority 1:
-- the November 2021 release, exact at the published rounding; S10 / S34 kept for context).
-- Values in 亿元 (100 million yuan). Run: dbt compile -s published_figures_check, then run
-- the compiled SQL against the warehouse.
with published (id, measure, year, period_key, flow, partner, published_value) as (
    values
        ('A01', 'month_value_100m_cny', 2021, '2021-11', 'total', 'WORLD', 769.5),
        ('A03', 'month_yoy_pct', 2021, '2021-11', 'total', 'WORLD', 16.2),
        ('A05', 'ytd_value_100m_cny', 2021, '2021-11', 'total', 'WORLD', 7204.9),
        ('A07', 'ytd_yoy_pct', 2021, '2021-11', 'total', 'WORLD', 24.0),
        ('A08', 'ytd_value_100m_cny', 2021, '2021-11', 'exports', 'WORLD', 4631.1),
        ('A09', 'ytd_yoy_pct', 2021, '2021-11', 'exports', 'WORLD', 23.9),
        ('A10', 'ytd_value_100m_cny', 2021, '2021-11', 'imports', 'WORLD', 2573.8),
        ('A11', 'ytd_yoy_pct', 2021, '2021-11', 'imports', 'WORLD', 24.1),
        ('A12', 'ytd_value_100m_cny', 2021, '2021-11', 'total', 'ASEAN', 1142.3),
        ('A13', 'ytd_yoy_pct', 2021, '2021-11', 'total', 'ASEAN', 13.5),
        ('A14', 'annual_rank', 2019, null, 'total', 'ASEAN', 1),
        ('A15', 'annual_rank', 2020, null, 'total', 'ASEAN', 1),
        ('A16', 'ytd_rank', 2021, '2021-11', 'total', 'ASEAN', 1),
        ('S08', 'annual_value_100m_cny', 2020, null, 'total', 'WORLD', 6513.4),
        ('S10', 'annual_yoy_pct', 2020, null, 'total', 'WORLD', 12.5),
        ('S34', 'ytd_value_100m_cny', 2021, '2021-10', 'total', 'WORLD', 6435.2)
),

monthly as (
    select period_key, flow, 'WORLD' as partner,
           value_cny / 1e8 as month_value, ytd_value_cny / 1e8 as ytd_value, yoy_pct, ytd_yoy_pct, cast(null as integer) as ytd_rank
    from {{ ref('fct_trade_monthly') }}
    union all
    select {{ format_year_month('reference_month') }}, flow, partner,
           value_cny / 1e8, ytd_value_cny / 1e8, null, ytd_yoy_pct, ytd_rank
    from {{ ref('fct_partner_trade') }}
    where partner <> 'WORLD'
),

annual as (
    select year, flow, partner, value_cny / 1e8 as value, yoy_pct, rank
    from {{ ref('fct_partner_trade_annual') }}
)

select
    p.*,
    case p.measure
        when 'month_value_100m_cny' then round(m.month_value, 1)
        when 'month_yoy_pct' then round(m.yoy_pct, 1)
        when 'ytd_value_100m_cny' then round(m.ytd_value, 1)
        when 'ytd_yoy_pct' then round(m.ytd_yoy_pct, 1)
        when 'ytd_rank' then m.ytd_rank
        when 'annual_rank' then a.rank
        when 'annual_value_100m_cny' then round(a.value, 1)
        when 'annual_yoy_pct' then round(a.yoy_pct, 1)
    end as warehouse_value
from published as p
left join monthly as m on m.period_key = p.period_key and m.flow = p.flow and m.partner = p.partner
left join annual as a on p.period_key is null and a.year = p.year and a.flow = p.flow and a.partner = p.partner
order by p.id
