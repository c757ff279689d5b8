-- Groups are never added to their members: each continent equals the sum of its countries,
-- regions and 其他 row (group rows excluded), and WORLD equals the sum of the continents,
-- within rounding (whole 万元 per printed row: 5,000 yuan per row, plus the whole's own).
with rows as (
    select * from {{ ref('fct_partner_trade') }}
),

continent_parts as (
    select period_start, flow, continent, sum(ytd_value_cny) as parts_ytd, sum(value_cny) as parts_month, count(*) as n
    from rows
    where partner_kind in ('country', 'other')
    group by period_start, flow, continent
),

continent_check as (
    select c.period_start, c.flow, c.partner, 'continent = countries + other' as rule,
           c.ytd_value_cny as whole_ytd, p.parts_ytd, c.value_cny as whole_month, p.parts_month, p.n
    from rows as c
    inner join continent_parts as p
        on p.period_start = c.period_start and p.flow = c.flow and p.continent = c.partner
    where c.partner_kind = 'continent'
),

world_parts as (
    select period_start, flow, sum(ytd_value_cny) as parts_ytd, sum(value_cny) as parts_month, count(*) as n
    from rows
    where partner_kind = 'continent'
    group by period_start, flow
),

world_check as (
    select w.period_start, w.flow, w.partner, 'world = continents' as rule,
           w.ytd_value_cny, p.parts_ytd, w.value_cny, p.parts_month, p.n
    from rows as w
    inner join world_parts as p on p.period_start = w.period_start and p.flow = w.flow
    where w.partner_kind = 'world'
),

checks as (
    select * from continent_check
    union all
    select * from world_check
)

select *
from checks
where abs(whole_ytd - parts_ytd) > (n + 1) * 5000
   or abs(whole_month - parts_month) > (n + 1) * 5000
