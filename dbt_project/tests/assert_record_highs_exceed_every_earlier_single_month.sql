-- A record month is a single month whose value is above every earlier single month of the
-- same flow, and every such month (after the first) is flagged. Two-month periods never.
with months as (
    select period_start, flow, months_in_period, value_cny, is_record_high
    from {{ ref('fct_trade_monthly') }}
),

judged as (
    select
        m.*,
        (select max(e.value_cny) from months as e
          where e.flow = m.flow and e.months_in_period = 1 and e.period_start < m.period_start) as earlier_high
    from months as m
)

select *
from judged
where is_record_high <> coalesce(months_in_period = 1 and earlier_high is not null and value_cny > earlier_high, false)
