-- Partners: countries and regions, groups, continents, the world and each continent's 其他 row.
with partners as (
    select * from {{ ref('ref_partners') }}
),

memberships as (
    select * from {{ ref('ref_partner_groups') }}
),

as_of as (
    select max(period_end) as as_of_date from {{ ref('int_periods__customs_periods') }}
),

current_groups as (
    select m.member_partner, {{ ordered_string_agg('m.group_partner', ',', 'm.group_partner') }} as groups
    from memberships as m
    cross join as_of as a
    where m.valid_from <= coalesce(a.as_of_date, current_date)
      and (m.valid_to is null or m.valid_to >= coalesce(a.as_of_date, current_date))
    group by m.member_partner
),

history as (
    select
        member_partner,
        {{ ordered_string_agg(
            "group_partner || ' ' || coalesce(cast(valid_from as string), '') || '..' || coalesce(cast(valid_to as string), '')",
            '; ', 'valid_from, group_partner'
        ) }} as group_history
    from memberships
    group by member_partner
)

select
    p.partner,
    p.partner_kind,
    p.name_en,
    p.name_zh,
    p.customs_code,
    p.iso3,
    p.continent,
    g.groups,
    h.group_history,
    (select as_of_date from as_of) as groups_as_of
from partners as p
left join current_groups as g on g.member_partner = p.partner
left join history as h on h.member_partner = p.partner
