{#
  THE year-on-year rule: a period is compared with the same calendar span a year
  earlier. The comparison periods are the prior-year periods that lie inside
  [period_start - 1 year, period_end - 1 year]; a combined January-February 2020 period
  is compared with January 2019 + February 2019. The comparison is complete only when
  those periods cover as many months as the period itself; otherwise year-on-year is NULL.
#}
with periods as (
    select reference_month, period_start, period_end, months_in_period
    from {{ ref('int_periods__customs_periods') }}
),

pairs as (
    select
        cur.reference_month,
        cur.months_in_period,
        prior.reference_month   as comparison_reference_month,
        prior.months_in_period  as comparison_months_in_period
    from periods as cur
    inner join periods as prior
        on prior.period_start >= cast(cur.period_start - interval 12 month as date)
       and prior.period_end <= cast(last_day(cur.period_end - interval 12 month) as date)
)

select
    reference_month,
    comparison_reference_month,
    sum(comparison_months_in_period) over (partition by reference_month) = months_in_period as is_complete_comparison
from pairs
