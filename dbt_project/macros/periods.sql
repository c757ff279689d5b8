{#
  Customs periods. A period is named by its reference month (first day of the month in
  the file name). From 2020 customs publishes January and February together: the period
  YYYY-02 then covers both months (months_in_period = 2) and starts on January 1.
#}
{% macro customs_period_start(reference_month, months_in_period) -%}
    {{ months_before(reference_month, 'cast(' ~ months_in_period ~ ' as integer) - 1') }}
{%- endmacro %}

{% macro customs_period_end(reference_month) -%}
    cast(last_day({{ reference_month }}) as date)
{%- endmacro %}
