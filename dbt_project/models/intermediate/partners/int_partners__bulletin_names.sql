{#
  THE partner mapping: a bulletin row (Chinese name as printed, row kind, continent
  section) -> partner code of ref_partners. 总值 -> WORLD; a continent row by its Chinese
  name; a 其他 row -> the <CONTINENT>_OTHER partner of its section; a group row by name
  among groups; any other row by name among countries and regions (same continent first).
#}
with names as (
    select distinct partner_name_zh, row_kind, continent_name_zh
    from {{ ref('stg_customs__bulletin_partners') }}
),

partners as (
    select * from {{ ref('ref_partners') }}
),

continents as (
    select partner as continent_code, name_zh as continent_name_zh
    from partners
    where partner_kind = 'continent'
),

sectioned as (
    select n.*, c.continent_code as section_continent
    from names as n
    left join continents as c on c.continent_name_zh = n.continent_name_zh
),

matched as (
    select
        s.partner_name_zh,
        s.row_kind,
        s.continent_name_zh,
        s.section_continent,
        p.partner
    from sectioned as s
    left join partners as p
        on (s.row_kind = 'world' and p.partner_kind = 'world')
        or (s.row_kind = 'continent' and p.partner_kind = 'continent' and p.name_zh = s.partner_name_zh)
        or (s.row_kind = 'other' and p.partner_kind = 'other' and p.continent = s.section_continent)
        or (s.row_kind = 'group' and p.partner_kind = 'group' and p.name_zh = s.partner_name_zh)
        or (s.row_kind = 'partner' and p.partner_kind not in ('world', 'continent', 'group', 'other')
            and p.name_zh = s.partner_name_zh)
    qualify row_number() over (
        partition by s.partner_name_zh, s.row_kind, s.continent_name_zh
        order by (p.continent = s.section_continent) desc nulls last, p.partner
    ) = 1
)

select * from matched
