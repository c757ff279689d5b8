-- The latest-vintage 贸易方式 rows of each period, with the customs trade-mode codes each bulletin row stands for.
with latest as (
    select reference_month, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_bulletin'
),

modes as (
    select m.*
    from {{ ref('stg_customs__bulletin_trade_modes') }} as m
    inner join latest as l
        on l.reference_month = m.reference_month
       and l.vintage = m.vintage
),

reference as (
    select * from {{ ref('ref_trade_modes') }}
),

-- A top-level row (一般贸易, 加工贸易, 保税物流, 其他) stands for every code reported under it
-- (bulletin_row_zh); a 其中： row (来料加工装配贸易, 进料加工贸易) for the code of that name.
codes as (
    select
        m.reference_month,
        m.flow,
        m.trade_mode_name_zh,
        {{ ordered_string_agg('r.trade_mode_code', ',', 'r.trade_mode_code') }} as trade_mode_codes,
        {{ ordered_string_agg('r.name_en', '; ', 'r.trade_mode_code') }} as trade_mode_names_en
    from modes as m
    inner join reference as r
        on (not m.is_sub_item and r.bulletin_row_zh = m.trade_mode_name_zh)
        or (m.is_sub_item and r.name_zh = m.trade_mode_name_zh)
    group by m.reference_month, m.flow, m.trade_mode_name_zh
)

select
    m.reference_month,
    m.period_start,
    m.period_end,
    m.months_in_period,
    m.flow,
    m.trade_mode_name_zh,
    m.parent_name_zh,
    m.is_sub_item,
    c.trade_mode_codes,
    c.trade_mode_names_en,
    m.month_value_cny   as value_cny,
    m.ytd_value_cny,
    m.vintage,
    m.source_sha256     as source_file_id,
    m.source_sheet,
    m.source_row
from modes as m
left join codes as c
    on c.reference_month = m.reference_month
   and c.flow = m.flow
   and c.trade_mode_name_zh = m.trade_mode_name_zh
