{#
  THE annual rule. A year's figure is the year-to-date of its latest period: the December
  period for a complete year, the latest period so far for the current year (whose
  year-on-year then compares the same span a year earlier). A year is complete when its
  periods cover all twelve months.
#}
with periods as (
    select * from {{ ref('int_periods__customs_periods') }}
)

select
    year,
    max(reference_month)                    as latest_reference_month,
    max(period_end)                         as latest_period_end,
    cast(sum(months_in_period) as integer)  as months_covered,
    sum(months_in_period) = 12              as is_complete
from periods
group by year
