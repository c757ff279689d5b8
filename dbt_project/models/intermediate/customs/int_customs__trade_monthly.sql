{#
  Monthly trade with the warehouse's own measures:
  - a period's value is its own latest-vintage bulletin's month column, never a
    difference of year-to-date figures from two bulletins;
  - yoy_pct against the same calendar span a year earlier (int_periods__yoy_comparisons);
  - ytd_yoy_pct against the year-to-date of the prior-year period ending on the same day;
  - THE record rule: is_record_high where a single month's value (CNY) is above every
    earlier single-month value of the same flow. Two-month periods are never records and
    never count as earlier months; the first month of history is not a record.
#}
with totals as (
    select * from {{ ref('int_customs__trade_totals') }}
),

periods as (
    select reference_month, year, month, prior_year_reference_month
    from {{ ref('int_periods__customs_periods') }}
),

comparisons as (
    select * from {{ ref('int_periods__yoy_comparisons') }}
),

prior_span as (
    select
        c.reference_month,
        t.flow,
        sum(t.value_cny) as prior_value_cny,
        sum(t.value_usd) as prior_value_usd
    from comparisons as c
    inner join totals as t on t.reference_month = c.comparison_reference_month
    where c.is_complete_comparison
    group by c.reference_month, t.flow
),

measured as (
    select
        t.*,
        p.year,
        p.month,
        {{ pct_change('t.value_cny', 'ps.prior_value_cny') }}         as yoy_pct,
        {{ pct_change('t.value_usd', 'ps.prior_value_usd') }}         as yoy_pct_usd,
        {{ pct_change('t.ytd_value_cny', 'py.ytd_value_cny') }}       as ytd_yoy_pct,
        {{ pct_change('t.ytd_value_usd', 'py.ytd_value_usd') }}       as ytd_yoy_pct_usd,
        max(case when t.months_in_period = 1 then t.value_cny end) over (
            partition by t.flow order by t.period_start
            rows between unbounded preceding and 1 preceding
        )                                                             as previous_single_month_high_cny
    from totals as t
    inner join periods as p on p.reference_month = t.reference_month
    left join prior_span as ps
        on ps.reference_month = t.reference_month
       and ps.flow = t.flow
    left join totals as py
        on py.reference_month = p.prior_year_reference_month
       and py.flow = t.flow
)

select
    *,
    coalesce(
        months_in_period = 1
        and previous_single_month_high_cny is not null
        and value_cny > previous_single_month_high_cny,
        false
    ) as is_record_high
from measured
