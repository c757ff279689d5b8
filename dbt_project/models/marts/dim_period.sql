-- Customs periods (a combined January-February period from 2020 counts two months).
select
    period_start,
    period_end,
    months_in_period,
    year,
    month,
    label_en,
    label_zh,
    reference_month,
    period_key,
    bulletin_vintage,
    prior_year_reference_month
from {{ ref('int_periods__customs_periods') }}
