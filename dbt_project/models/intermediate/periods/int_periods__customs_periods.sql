-- Every customs period the warehouse holds a bulletin or a detail extract for, with labels
-- and the period a year earlier that ends on the same calendar day (the year-to-date base).
with period_list as (
    select distinct reference_month, months_in_period, period_start, period_end
    from {{ ref('int_landing__latest_vintages') }}
    where feed in ('customs_bulletin', 'customs_detail')
),

bulletins as (
    select reference_month, vintage as bulletin_vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_bulletin'
),

labelled as (
    select
        p.reference_month,
        {{ format_year_month('p.reference_month') }}                          as period_key,
        p.period_start,
        p.period_end,
        p.months_in_period,
        cast(year(p.reference_month) as integer)                        as year,
        cast(month(p.reference_month) as integer)                       as month,
        case
            when p.months_in_period = 2 then 'Jan-Feb ' || cast(year(p.reference_month) as string)
            else {{ format_month_name_year('p.reference_month') }}
        end                                                             as label_en,
        case
            when p.months_in_period = 2 then cast(year(p.reference_month) as string) || '年1-2月'
            else cast(year(p.reference_month) as string) || '年' || cast(month(p.reference_month) as string) || '月'
        end                                                             as label_zh,
        b.bulletin_vintage
    from period_list as p
    left join bulletins as b on b.reference_month = p.reference_month
)

select
    l.*,
    prior.reference_month as prior_year_reference_month
from labelled as l
left join labelled as prior
    on prior.period_end = cast(last_day(l.reference_month - interval 12 month) as date)
