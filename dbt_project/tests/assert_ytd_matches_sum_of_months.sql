{{ config(severity='warn') }}
-- WARN: a period's published year-to-date disagrees with the earlier period's published
-- year-to-date plus the period's own month value, beyond the rounding of the three figures
-- printed to 0.1 亿元 (var bulletin_rounding_yi_cny). For the year's first period the
-- year-to-date must equal the month value (two figures). A gap means customs revised earlier
-- months inside a later bulletin, as with S34: the November 2021 bulletin's 7204.9 less
-- its 769.5 implies 6435.4 for January-October, the October bulletin printed 6435.2.
-- The marts keep every figure as its own bulletin gives it (a month is never derived from
-- year-to-date differences); this test only reports the gap.
with months as (
    select
        period_start,
        period_end,
        year,
        flow,
        months_in_period,
        value_cny,
        ytd_value_cny,
        lag(ytd_value_cny) over (partition by flow, year order by period_start) as previous_ytd_value_cny,
        lag(period_end) over (partition by flow, year order by period_start)    as previous_period_end
    from {{ ref('fct_trade_monthly') }}
),

checked as (
    select
        *,
        case
            when period_start = make_date(year, 1, 1) then value_cny
            when previous_period_end = cast(period_start - interval 1 day as date) then previous_ytd_value_cny + value_cny
        end as implied_ytd_value_cny,
        case when period_start = make_date(year, 1, 1) then 2 else 3 end
            * {{ var('bulletin_rounding_yi_cny') }} as tolerance_cny
    from months
)

select *, ytd_value_cny - implied_ytd_value_cny as gap_cny
from checked
where implied_ytd_value_cny is not null
  and abs(ytd_value_cny - implied_ytd_value_cny) > tolerance_cny
