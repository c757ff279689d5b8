{#
  Corridor trains per year and service. A year is complete when the train log holds all
  twelve of its months. is_record: more trains than in any earlier complete year of the
  same service (the current, incomplete year can already be a record); a service's first
  year is not a record.
#}
with monthly as (
    select * from {{ ref('int_corridor__trains_monthly') }}
),

-- A month counts as logged when a train log for it was loaded, even one without trains
-- (the load audit records files that brought no rows).
logged as (
    select reference_month
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'corridor_trains'
    union
    select reference_month
    from {{ ref('stg_warehouse__load_audit') }}
    where feed = 'corridor_trains'
      and status = 'loaded'
      and reference_month is not null
),

log_months as (
    select cast(year(reference_month) as integer) as year, count(distinct reference_month) as months_logged, max(reference_month) as through_month
    from logged
    group by 1
),

annual as (
    select
        m.year,
        m.service,
        cast(sum(m.trains) as integer)          as trains,
        cast(sum(m.teu) as bigint)              as teu,
        {{ money('sum(m.cargo_value_cny)') }}   as cargo_value_cny,
        cast(l.months_logged as integer)        as months_logged,
        l.through_month,
        l.months_logged = 12                    as is_complete,
        max(case when m.month_start = l.through_month then m.source_file_id end) as source_file_id
    from monthly as m
    inner join log_months as l on l.year = m.year
    group by m.year, m.service, l.months_logged, l.through_month
),

with_history as (
    select
        *,
        max(case when is_complete then trains end) over (
            partition by service order by year rows between unbounded preceding and 1 preceding
        ) as previous_complete_year_high
    from annual
)

select
    year,
    service,
    trains,
    teu,
    is_complete,
    coalesce(previous_complete_year_high is not null and trains > previous_complete_year_high, false) as is_record,
    cargo_value_cny,
    months_logged,
    through_month,
    previous_complete_year_high,
    source_file_id
from with_history
