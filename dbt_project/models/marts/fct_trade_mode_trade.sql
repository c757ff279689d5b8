-- Trade by trade mode per period as the bulletin's 贸易方式 sheet lists it.
select
    period_start,
    period_end,
    months_in_period,
    reference_month,
    flow,
    trade_mode_name_zh,
    trade_mode_names_en,
    trade_mode_codes,
    parent_name_zh,
    is_sub_item,
    {{ money('value_cny') }}            as value_cny,
    {{ money('ytd_value_cny') }}        as ytd_value_cny,
    vintage,
    source_file_id,
    source_sheet,
    source_row
from {{ ref('int_customs__trade_mode_trade') }}
