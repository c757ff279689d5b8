{#
  THE partner mapping: a bulletin row (Chinese name as printed, row kind, continent
  section) -> partner code of ref_partners. 总值 -> WORLD; a continent row by its Chinese
  name; a 其他 row -> the <CONTINENT>_OTHER partner of its section; a group row by name
  among groups; any other row by name among countries and regions (same continent first).
#}
-- Only the latest vintage of each bulletin counts: a name a later correction no longer
-- prints reaches no mart, so it must not block publication.
with latest as (
    select reference_month, vintage
    from {{ ref('int_landing__latest_vintages') }}
    where feed = 'customs_bulletin'
),

names as (
    -- Where each name was last printed: the file, sheet and row to look at when it does not map.
    select
        b.partner_name_zh,
        b.row_kind,
        b.continent_name_zh,
        max_by(b.source_file, b.vintage)   as source_file,
        max(b.vintage)                      as vintage,
        max_by(b.source_sheet, b.vintage)  as source_sheet,
        max_by(b.source_row, b.vintage)    as source_row
    from {{ ref('stg_customs__bulletin_partners') }} as b
    inner join latest as l
        on l.reference_month = b.reference_month
       and l.vintage = b.vintage
    group by b.partner_name_zh, b.row_kind, b.continent_name_zh
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

candidates as (
    select
        s.partner_name_zh,
        s.row_kind,
        s.continent_name_zh,
        s.section_continent,
        p.partner,
        s.source_file,
        s.vintage,
        s.source_sheet,
        s.source_row,
        -- Spark 4.0 parses no QUALIFY: the first candidate is kept in the next step.
        row_number() over (
            partition by s.partner_name_zh, s.row_kind, s.continent_name_zh
            order by (p.continent = s.section_continent) desc nulls last, p.partner
        ) as candidate_rank
    from sectioned as s
    left join partners as p
        on (s.row_kind = 'world' and p.partner_kind = 'world')
        or (s.row_kind = 'continent' and p.partner_kind = 'continent' and p.name_zh = s.partner_name_zh)
        or (s.row_kind = 'other' and p.partner_kind = 'other' and p.continent = s.section_continent)
        or (s.row_kind = 'group' and p.partner_kind = 'group' and p.name_zh = s.partner_name_zh)
        or (s.row_kind = 'partner' and p.partner_kind not in ('world', 'continent', 'group', 'other')
            and p.name_zh = s.partner_name_zh)
)

select
    partner_name_zh,
    row_kind,
    continent_name_zh,
    section_continent,
    partner,
    source_file,
    vintage,
    source_sheet,
    source_row
from candidates
where candidate_rank = 1
