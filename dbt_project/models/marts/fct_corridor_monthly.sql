-- Corridor trains per month and service, with year-to-date sums over the months of the same year.
select
    month_start,
    service,
    trains,
    teu,
    {{ money('cargo_value_cny') }}      as cargo_value_cny,
    cast(sum(trains) over ytd as integer)   as ytd_trains,
    cast(sum(teu) over ytd as bigint)       as ytd_teu,
    month_end,
    year,
    month,
    outbound_trains,
    inbound_trains,
    wagons,
    {{ money('sum(cargo_value_cny) over ytd') }} as ytd_cargo_value_cny,
    vintage,
    source_file_id
from {{ ref('int_corridor__trains_monthly') }}
window ytd as (partition by service, year order by month_start rows between unbounded preceding and current row)
