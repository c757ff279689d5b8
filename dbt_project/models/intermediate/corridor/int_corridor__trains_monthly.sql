{{ config(**monthly_incremental_config('month_start')) }}
{#
  The latest-vintage train log of each month, per month x service: trains, TEU, cargo
  value. Trains are always monthly (no combined January-February).
  Incremental as int_customs_detail__period_summary: the run's period window
  (WAREHOUSE_PERIOD_FROM / _TO, macro period_window_filter) selects the months to read and replace; dbt_invocation_id records which run wrote each month.
#}
with latest as (
    select reference_month, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'corridor_trains'
),

trains as (
    select t.*
    from {{ ref('stg_corridor__trains') }} as t
    inner join latest as l
        on l.reference_month = t.reference_month
       and l.vintage = t.vintage
    where true
    {{ period_window_filter('t.period_start', 't.period_end', 't.reference_month') }}
)

select
    reference_month                                             as month_start,
    period_end                                                  as month_end,
    cast(year(reference_month) as integer)                      as year,
    cast(month(reference_month) as integer)                     as month,
    service,
    cast(count(distinct train_id) as integer)                   as trains,
    cast(count(distinct case when direction = 'outbound' then train_id end) as integer) as outbound_trains,
    cast(count(distinct case when direction = 'inbound' then train_id end) as integer)  as inbound_trains,
    cast(coalesce(sum(teu), 0) as bigint)                       as teu,
    cast(coalesce(sum(wagons), 0) as bigint)                    as wagons,
    {{ money('sum(cargo_value_cny)') }}                         as cargo_value_cny,
    max(vintage)                                                as vintage,
    max(source_sha256)                                          as source_file_id,
    '{{ invocation_id }}'                                       as dbt_invocation_id
from trains
group by reference_month, period_end, service
