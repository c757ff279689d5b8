{{ config(meta={'dagster': {'ref': {'name': 'fct_trade_annual'}}}) }}
-- A year's value is the year-to-date of its latest period: December's for a complete year.
-- Complete years must end in December and carry December's year-to-date.
select a.year, a.flow, a.value_cny, m.ytd_value_cny, a.is_complete, a.through_reference_month
from {{ ref('fct_trade_annual') }} as a
left join {{ ref('fct_trade_monthly') }} as m
    on m.reference_month = a.through_reference_month
   and m.flow = a.flow
where m.ytd_value_cny is null
   or a.value_cny <> m.ytd_value_cny
   or (a.is_complete and month(a.through_reference_month) <> 12)
