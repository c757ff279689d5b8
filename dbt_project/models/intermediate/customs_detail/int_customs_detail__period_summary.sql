{{ config(**monthly_incremental_config('reference_month')) }}
{#
  The detail extract of the latest vintage per period and flow, aggregated to
  period x flow x partner_code x hs_chapter x trade_mode_code.
  Incremental: a run with a period window (WAREHOUSE_PERIOD_FROM / _TO, 'YYYY-MM') only
  reads and replaces the periods overlapping it (delete+insert on reference_month); with
  no window, or on a first run / --full-refresh, every period is (re)built.
  dbt_invocation_id records which run wrote each period.
#}
with latest as (
    select reference_month, flow, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_detail'
),

detail as (
    select d.*
    from {{ ref('stg_customs__detail') }} as d
    inner join latest as l
        on l.reference_month = d.reference_month
       and l.flow = d.flow
       and l.vintage = d.vintage
    where true
    {{ period_window_filter('d.period_start', 'd.period_end', 'd.reference_month') }}
)

select
    reference_month,
    period_start,
    period_end,
    months_in_period,
    flow,
    partner_code,
    left(hs_code, 2)                        as hs_chapter,
    trade_mode_code,
    cast(count(*) as bigint)                as row_count,
    {{ money('sum(value_cny)') }}           as value_cny,
    {{ money('sum(value_usd)') }}           as value_usd,
    max(vintage)                            as vintage,
    max(source_sha256)                      as source_file_id,
    '{{ invocation_id }}'                   as dbt_invocation_id
from detail
group by reference_month, period_start, period_end, months_in_period, flow, partner_code, left(hs_code, 2), trade_mode_code
