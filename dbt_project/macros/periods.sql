{#
  Customs periods. A period is named by its reference month (first day of the month in
  the file name). From 2020 customs publishes January and February together: the period
  YYYY-02 then covers both months (months_in_period = 2) and starts on January 1.
#}
{% macro customs_period_start(reference_month, months_in_period) -%}
    cast({{ reference_month }} - to_months(cast({{ months_in_period }} as integer) - 1) as date)
{%- endmacro %}

{% macro customs_period_end(reference_month) -%}
    cast(last_day({{ reference_month }}) as date)
{%- endmacro %}

{# 'YYYY-MM' reference-month key, the form Dagster partitions and the vars use. #}
{% macro month_key(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}
