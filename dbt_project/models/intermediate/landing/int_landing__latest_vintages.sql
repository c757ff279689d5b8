{#
  THE vintage rule, chosen once and reused by every model that reads a feed:
  a later file for the same feed and period (and flow, for the detail extract) is a
  correction and supersedes the earlier one for every figure it carries; earlier
  vintages stay in the raw layer. A bulletin is one workbook: its five sheets share the
  vintage, so the bulletin's latest vintage is chosen per period across all its sheets.
  Incremental like the period models: a run with a period window re-reads only the raw
  rows of its months (a view re-scanned the whole raw detail each time a model read it).
  delete+insert on reference_month replaces every feed's rows of the months re-read.
#}
{{ config(**monthly_incremental_config('reference_month')) }}
with bulletin_files as (
    select reference_month, months_in_period, period_start, period_end, vintage from {{ ref('stg_customs__bulletin_totals') }} where true {{ period_window_filter('period_start', 'period_end', 'reference_month') }}
    union
    select reference_month, months_in_period, period_start, period_end, vintage from {{ ref('stg_customs__bulletin_partners') }} where true {{ period_window_filter('period_start', 'period_end', 'reference_month') }}
    union
    select reference_month, months_in_period, period_start, period_end, vintage from {{ ref('stg_customs__bulletin_commodities') }} where true {{ period_window_filter('period_start', 'period_end', 'reference_month') }}
    union
    select reference_month, months_in_period, period_start, period_end, vintage from {{ ref('stg_customs__bulletin_trade_modes') }} where true {{ period_window_filter('period_start', 'period_end', 'reference_month') }}
),

detail_files as (
    select distinct reference_month, months_in_period, period_start, period_end, flow, vintage
    from {{ ref('stg_customs__detail') }}
    where true {{ period_window_filter('period_start', 'period_end', 'reference_month') }}
),

train_files as (
    select distinct reference_month, months_in_period, period_start, period_end, vintage
    from {{ ref('stg_corridor__trains') }}
    where true {{ period_window_filter('period_start', 'period_end', 'reference_month') }}
),

files as (
    select 'customs_bulletin' as feed, reference_month, months_in_period, period_start, period_end, 'all' as flow, vintage
    from bulletin_files
    union all
    select 'customs_detail' as feed, reference_month, months_in_period, period_start, period_end, flow, vintage
    from detail_files
    union all
    select 'corridor_trains' as feed, reference_month, months_in_period, period_start, period_end, 'all' as flow, vintage
    from train_files
),

ranked as (
    select
        *,
        row_number() over (partition by feed, reference_month, flow order by vintage desc) as vintage_recency,
        count(*) over (partition by feed, reference_month, flow) as vintages_on_record
    from files
)

select
    feed,
    reference_month,
    flow,
    months_in_period,
    period_start,
    period_end,
    vintage,
    vintages_on_record
from ranked
where vintage_recency = 1
