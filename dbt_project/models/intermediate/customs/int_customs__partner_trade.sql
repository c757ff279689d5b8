{#
  The latest-vintage 国别地区 rows mapped to partner codes, with the year-to-date
  year-on-year, the share of WORLD's year-to-date and THE ranking rule: partner
  economies ranked by year-to-date value per period and flow, a group counting as one
  partner; members of a group (valid on the period's last day), continents, WORLD and
  其他 rows are not ranked (rank NULL).
#}
with latest as (
    select reference_month, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_bulletin'
),

bulletin_rows as (
    select b.*
    from {{ ref('stg_customs__bulletin_partners') }} as b
    inner join latest as l
        on l.reference_month = b.reference_month
       and l.vintage = b.vintage
),

names as (
    select * from {{ ref('int_partners__bulletin_names') }}
),

partners as (
    select * from {{ ref('ref_partners') }}
),

periods as (
    select reference_month, year, prior_year_reference_month
    from {{ ref('int_periods__customs_periods') }}
),

members as (
    select reference_month, member_partner, {{ ordered_string_agg('group_partner', ',', 'group_partner') }} as member_of
    from {{ ref('int_partners__group_memberships') }}
    group by reference_month, member_partner
),

mapped as (
    select
        r.reference_month,
        r.period_start,
        r.period_end,
        r.months_in_period,
        pe.year,
        pe.prior_year_reference_month,
        n.partner,
        p.partner_kind,
        p.name_en                   as partner_name_en,
        p.name_zh                   as partner_name_zh,
        p.continent,
        r.partner_name_zh           as bulletin_name_zh,
        r.row_kind                  as bulletin_row_kind,
        r.flow,
        r.month_value_cny           as value_cny,
        r.ytd_value_cny,
        r.published_ytd_yoy_pct,
        r.vintage,
        r.source_sha256             as source_file_id,
        r.source_sheet,
        r.source_row,
        m.member_of,
        p.partner_kind not in ('world', 'continent', 'other') and m.member_of is null as is_ranked
    from bulletin_rows as r
    inner join periods as pe on pe.reference_month = r.reference_month
    left join names as n
        on n.partner_name_zh = r.partner_name_zh
       and n.row_kind = r.row_kind
       and n.continent_name_zh is not distinct from r.continent_name_zh
    left join partners as p on p.partner = n.partner
    left join members as m
        on m.reference_month = r.reference_month
       and m.member_partner = n.partner
),

world as (
    select reference_month, flow, ytd_value_cny as world_ytd_value_cny, value_cny as world_value_cny
    from mapped
    where partner_kind = 'world'
)

select
    cur.*,
    {{ pct_change('cur.ytd_value_cny', 'prior.ytd_value_cny') }}    as ytd_yoy_pct,
    {{ pct_share('cur.ytd_value_cny', 'w.world_ytd_value_cny') }}   as ytd_share_pct,
    {{ pct_share('cur.value_cny', 'w.world_value_cny') }}           as share_pct,
    case
        when cur.is_ranked and cur.ytd_value_cny is not null then
            cast(rank() over (
                partition by cur.reference_month, cur.flow, cur.is_ranked and cur.ytd_value_cny is not null
                order by cur.ytd_value_cny desc
            ) as integer)
    end                                                             as ytd_rank
from mapped as cur
left join mapped as prior
    on prior.reference_month = cur.prior_year_reference_month
   and prior.partner = cur.partner
   and prior.flow = cur.flow
left join world as w
    on w.reference_month = cur.reference_month
   and w.flow = cur.flow
