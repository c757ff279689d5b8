{{ config(meta={'dagster': {'ref': {'name': 'int_customs_detail__period_summary'}}}) }}
-- When this invocation ran with a period window (WAREHOUSE_PERIOD_FROM / _TO) and the
-- incremental models already held history (rows written by another invocation), only
-- periods overlapping that window may carry this invocation's id: everything else must be
-- left as it was. The window is known only at execution, so the parents are declared here:
-- depends_on: {{ ref('int_customs_detail__period_summary') }}
-- depends_on: {{ ref('int_corridor__trains_monthly') }}
{% set bounds = period_window_bounds() %}
{% if bounds['from'] is none and bounds['to'] is none %}
select null as model_name, null as period_start where false
{% else %}
with tagged as (
    select 'int_customs_detail__period_summary' as model_name, period_start, period_end, dbt_invocation_id
    from {{ ref('int_customs_detail__period_summary') }}
    union all
    select 'int_corridor__trains_monthly' as model_name, month_start as period_start, month_end as period_end, dbt_invocation_id
    from {{ ref('int_corridor__trains_monthly') }}
),

models_with_history as (
    select model_name
    from tagged
    group by model_name
    having count(*) filter (where dbt_invocation_id <> '{{ invocation_id }}') > 0
)

select t.*
from tagged as t
inner join models_with_history using (model_name)
where t.dbt_invocation_id = '{{ invocation_id }}'
  and not (
    true
    {%- if bounds['from'] is not none %}
    and t.period_end >= cast('{{ bounds["from"] }}-01' as date)
    {%- endif %}
    {%- if bounds['to'] is not none %}
    and t.period_start <= cast(last_day(cast('{{ bounds["to"] }}-01' as date)) as date)
    {%- endif %}
  )
{% endif %}
