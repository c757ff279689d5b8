{#
  THE group membership rule: a partner is a member of a group in a period when its
  membership is valid on the period's last day (ref_partner_groups valid_from/valid_to,
  both inclusive, valid_to NULL = still a member). The EU has 28 members up to January
  2020 and 27 from the February 2020 period; Timor-Leste is in ASEAN from 2025-10-26.
#}
with periods as (
    select reference_month, period_end from {{ ref('int_periods__customs_periods') }}
),

groups as (
    select * from {{ ref('ref_partner_groups') }}
)

select
    p.reference_month,
    p.period_end,
    g.group_partner,
    g.member_partner
from periods as p
inner join groups as g
    on g.valid_from <= p.period_end
   and (g.valid_to is null or g.valid_to >= p.period_end)
