-- The detail extract (latest vintage) summed per period and flow, against the bulletin's month value.
with detail as (
    select
        reference_month,
        flow,
        sum(value_cny)      as detail_value_cny,
        sum(value_usd)      as detail_value_usd,
        sum(row_count)      as detail_rows,
        max(vintage)        as detail_vintage,
        max(source_file_id) as source_file_id
    from {{ ref('int_customs_detail__period_summary') }}
    group by reference_month, flow
),

bulletin as (
    select reference_month, flow, value_cny, value_usd, vintage, source_file_id, source_sheet, source_row
    from {{ ref('int_customs__trade_totals') }}
    where flow in ('exports', 'imports')
),

periods as (
    select * from {{ ref('int_periods__customs_periods') }}
)

select
    p.period_start,
    p.period_end,
    p.months_in_period,
    d.reference_month,
    d.flow,
    {{ money('d.detail_value_cny') }}                   as detail_value_cny,
    {{ money('b.value_cny') }}                          as bulletin_value_cny,
    {{ money('d.detail_value_cny - b.value_cny') }}     as difference_cny,
    case when b.value_cny <> 0 then cast(d.detail_value_cny - b.value_cny as double) / cast(b.value_cny as double) * 100 end as difference_pct,
    {{ money('d.detail_value_usd') }}                   as detail_value_usd,
    {{ money('b.value_usd') }}                          as bulletin_value_usd,
    case when b.value_usd <> 0 then cast(d.detail_value_usd - b.value_usd as double) / cast(b.value_usd as double) * 100 end as difference_usd_pct,
    case
        when b.value_cny is null or b.value_cny = 0 then null
        else abs(cast(d.detail_value_cny - b.value_cny as double) / cast(b.value_cny as double) * 100)
             <= {{ var('detail_reconciliation_tolerance_pct') }}
    end                                                 as is_within_tolerance,
    cast(d.detail_rows as bigint)                       as detail_rows,
    d.detail_vintage,
    b.vintage                                           as bulletin_vintage,
    d.source_file_id,
    b.source_file_id                                    as bulletin_source_file_id,
    b.source_sheet                                      as bulletin_source_sheet,
    b.source_row                                        as bulletin_source_row
from detail as d
inner join periods as p on p.reference_month = d.reference_month
left join bulletin as b
    on b.reference_month = d.reference_month
   and b.flow = d.flow
