-- Main export and import commodities per period as the bulletin lists them.
select
    period_start,
    flow,
    commodity_name_zh,
    commodity_name_en,
    unit,
    quantity,
    {{ money('value_cny') }}            as value_cny,
    ytd_quantity,
    {{ money('ytd_value_cny') }}        as ytd_value_cny,
    is_overlapping_aggregate,
    period_end,
    reference_month,
    months_in_period,
    parent_name_zh,
    is_sub_item,
    published_ytd_quantity_yoy_pct,
    published_ytd_value_yoy_pct,
    vintage,
    source_file_id,
    source_sheet,
    source_row
from {{ ref('int_customs__commodity_trade') }}
