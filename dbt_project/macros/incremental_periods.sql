{#
  Incremental period selection, shared by every incremental model.

  Dagster passes the partition range as vars period_from / period_to ('YYYY-MM').
  When the model already exists and runs incrementally, only periods that overlap
  [first day of period_from, last day of period_to] are selected (a range naming 2021-01
  therefore selects the combined January-February period 2021-02). A null bound is open.
  On a first run or a --full-refresh every period is built, whatever the vars say, so
  a full refresh gives the same rows as a series of incremental runs.
#}
{% macro period_window_bounds() -%}
    {%- set period_from = var('period_from', none) -%}
    {%- set period_to = var('period_to', none) -%}
    {%- if period_from is not none and period_from | string | trim | length == 0 -%}{%- set period_from = none -%}{%- endif -%}
    {%- if period_to is not none and period_to | string | trim | length == 0 -%}{%- set period_to = none -%}{%- endif -%}
    {{ return({'from': period_from, 'to': period_to}) }}
{%- endmacro %}

{% macro period_window_filter(period_start_column, period_end_column, reference_month_column=none) -%}
    {#- reference_month_column: the raw column, bounded too so that DuckDB prunes the scan of
        the raw table (period_start/period_end are computed in staging and cannot be pushed
        down). A period overlaps the window only if its reference month lies between the
        window's first month and the month after its last (a January-February period is
        named by February). -#}
    {%- set bounds = period_window_bounds() -%}
    {%- if is_incremental() -%}
        {%- if bounds['from'] is not none %}
    and {{ period_end_column }} >= cast('{{ bounds["from"] }}-01' as date)
            {%- if reference_month_column is not none %}
    and {{ reference_month_column }} >= cast('{{ bounds["from"] }}-01' as date)
            {%- endif -%}
        {%- endif -%}
        {%- if bounds['to'] is not none %}
    and {{ period_start_column }} <= cast(last_day(cast('{{ bounds["to"] }}-01' as date)) as date)
            {%- if reference_month_column is not none %}
    and {{ reference_month_column }} <= cast(cast('{{ bounds["to"] }}-01' as date) + interval 1 month as date)
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
