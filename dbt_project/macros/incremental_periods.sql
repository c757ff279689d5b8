{#
  Incremental period selection, shared by every incremental model and by the tests scoped
  to the run's months.

  Dagster passes the run's partition range in the environment variables
  WAREHOUSE_PERIOD_FROM / WAREHOUSE_PERIOD_TO ('YYYY-MM'); by hand:
  WAREHOUSE_PERIOD_FROM=2021-11 WAREHOUSE_PERIOD_TO=2021-11 dbt build.
  When the model already exists and runs incrementally, only periods that overlap
  [first day of the first month, last day of the last month] are selected (a range naming
  2021-01 therefore selects the combined January-February period 2021-02). An empty or
  unset bound is open. On a first run or a --full-refresh every period is built, whatever
  the window says, so a full refresh gives the same rows as a series of incremental runs.

  Why environment variables and not --vars: a --vars value that differs from the saved
  parse disables dbt's partial parsing ("config vars ... have changed"), so every run with
  a new window re-parsed the whole project (docs/benchmarks.md). The variables are read
  only at execution (`execute`): parsing never records them, so the saved parse stays
  valid for any window.
#}
{% macro period_window_bounds() -%}
    {%- if not execute -%}
        {{ return({'from': none, 'to': none}) }}
    {%- endif -%}
    {%- set period_from = env_var('WAREHOUSE_PERIOD_FROM', '') | trim -%}
    {%- set period_to = env_var('WAREHOUSE_PERIOD_TO', '') | trim -%}
    {%- for bound in [period_from, period_to] if bound and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}', bound) -%}
        {{ exceptions.raise_compiler_error("WAREHOUSE_PERIOD_FROM / WAREHOUSE_PERIOD_TO take YYYY-MM, got '" ~ bound ~ "'") }}
    {%- endfor -%}
    {{ return({'from': period_from or none, 'to': period_to or none}) }}
{%- endmacro %}

{% macro period_window_filter(period_start_column, period_end_column, reference_month_column=none) -%}
    {#- reference_month_column: the raw column, bounded too so that DuckDB prunes the scan of
        the raw table (period_start/period_end are computed in staging and cannot be pushed
        down). -#}
    {%- set bounds = period_window_bounds() -%}
    {%- if is_incremental() -%}
        {%- if bounds['from'] is not none %}
    and {{ period_end_column }} >= cast('{{ bounds["from"] }}-01' as date)
        {%- endif -%}
        {%- if bounds['to'] is not none %}
    and {{ period_start_column }} <= cast(last_day(cast('{{ bounds["to"] }}-01' as date)) as date)
        {%- endif -%}
        {%- if reference_month_column is not none %}
    and {{ reference_month_in_run_window(reference_month_column) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#
  The raw reference_month of every period overlapping the window, as a sargable range: a
  period overlaps the window only if its reference month lies between the window's first
  month and the month after its last (a January-February period is named by February).
#}
{% macro reference_month_in_run_window(reference_month_column) -%}
    {%- set bounds = period_window_bounds() -%}
    true
    {%- if bounds['from'] is not none %} and {{ reference_month_column }} >= cast('{{ bounds["from"] }}-01' as date){% endif -%}
    {%- if bounds['to'] is not none %} and {{ reference_month_column }} <= cast(cast('{{ bounds["to"] }}-01' as date) + interval 1 month as date){% endif -%}
{%- endmacro %}

{#
  Tests scoped to the run's months: a test whose `where` config is
  '__reference_month_in_run_window__' checks only the rows whose reference_month lies in
  the run's period window (the same sargable bounds as above, so DuckDB reads only those
  row groups of the raw detail), and every row when the run has no window. Rows of other
  months were checked by the run that loaded or rebuilt them and have not changed since;
  without this a one-month refresh re-tested the whole raw history on every run.
  dbt's documented hook for custom `where` logic: overriding get_where_subquery.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if not where -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- if '__reference_month_in_run_window__' in where -%}
        {%- set where = where | replace('__reference_month_in_run_window__', reference_month_in_run_window('reference_month')) -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}
