-- The latest-vintage main export / import commodities of each period, with English names from ref_bulletin_commodities.
with latest as (
    select reference_month, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_bulletin'
),

commodities as (
    select c.*
    from {{ ref('stg_customs__bulletin_commodities') }} as c
    inner join latest as l
        on l.reference_month = c.reference_month
       and l.vintage = c.vintage
),

reference as (
    select * from {{ ref('ref_bulletin_commodities') }}
)

select
    c.reference_month,
    c.period_start,
    c.period_end,
    c.months_in_period,
    c.flow,
    c.commodity_name_zh,
    r.name_en                                       as commodity_name_en,
    c.parent_name_zh,
    c.is_sub_item,
    c.is_overlapping_aggregate or coalesce(r.is_overlapping_aggregate, false) as is_overlapping_aggregate,
    coalesce(c.unit, nullif(r.unit, '-'))           as unit,
    c.month_quantity                                as quantity,
    c.month_value_cny                               as value_cny,
    c.ytd_quantity,
    c.ytd_value_cny,
    c.published_ytd_quantity_yoy_pct,
    c.published_ytd_value_yoy_pct,
    r.hs_prefixes,
    c.vintage,
    c.source_sha256                                 as source_file_id,
    c.source_sheet,
    c.source_row
from commodities as c
left join reference as r
    on r.flow = c.flow
   and r.name_zh = c.commodity_name_zh
