{#
  What DuckDB (the default target) and Spark (the scale-out target) spell differently, in
  one place. Each macro dispatches to its duckdb__ or spark__ implementation; every other
  construct in the models is SQL both engines read alike (Spark 4: make_date,
  last_day, intervals, FILTER, IS NOT DISTINCT FROM, named windows, max_by).
#}

{# A date `months` months earlier (a DATE). #}
{% macro months_before(date_expr, months) -%}
    {{ return(adapter.dispatch('months_before')(date_expr, months)) }}
{%- endmacro %}

{% macro duckdb__months_before(date_expr, months) -%}
    cast({{ date_expr }} - to_months({{ months }}) as date)
{%- endmacro %}

{% macro spark__months_before(date_expr, months) -%}
    add_months({{ date_expr }}, -({{ months }}))
{%- endmacro %}

{# 'YYYY-MM' of a date. #}
{% macro format_year_month(date_expr) -%}
    {{ return(adapter.dispatch('format_year_month')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__format_year_month(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}

{% macro spark__format_year_month(date_expr) -%}
    date_format({{ date_expr }}, 'yyyy-MM')
{%- endmacro %}

{# 'Nov 2021': the English month abbreviation and the year. #}
{% macro format_month_name_year(date_expr) -%}
    {{ return(adapter.dispatch('format_month_name_year')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__format_month_name_year(date_expr) -%}
    strftime({{ date_expr }}, '%b %Y')
{%- endmacro %}

{% macro spark__format_month_name_year(date_expr) -%}
    date_format({{ date_expr }}, 'MMM yyyy')
{%- endmacro %}

{#
  The values of a group joined by a delimiter in a given order. dbt.listagg is not used:
  on Spark it silently drops the ORDER BY.
#}
{% macro ordered_string_agg(expr, delimiter, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expr, delimiter, order_by)) }}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(expr, delimiter, order_by) -%}
    string_agg({{ expr }}, '{{ delimiter }}' order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expr, delimiter, order_by) -%}
    listagg({{ expr }}, '{{ delimiter }}') within group (order by {{ order_by }})
{%- endmacro %}

{# True where the whole text matches the regular expression. #}
{% macro regex_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#
  The config of a model rebuilt per month: a run replaces only the months it selects
  (macro period_window_filter). DuckDB deletes and re-inserts those months' rows; Spark
  overwrites those partitions of a Parquet table partitioned by the month.
#}
{% macro monthly_incremental_config(month_column) -%}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
                   'partition_by': [month_column], 'file_format': 'parquet',
                   'on_schema_change': 'sync_all_columns'}) }}
    {%- else -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
                   'unique_key': month_column, 'on_schema_change': 'sync_all_columns'}) }}
    {%- endif -%}
{%- endmacro %}
