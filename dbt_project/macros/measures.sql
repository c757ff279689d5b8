{#
  Growth and share measures, as percents (16.2 means +16.2 %), DOUBLE and unrounded.
  NULL where the base is missing or zero.
#}
{% macro pct_change(current_value, prior_value) -%}
    case
        when {{ prior_value }} is null or {{ current_value }} is null or {{ prior_value }} = 0 then null
        else (cast({{ current_value }} as double) / cast({{ prior_value }} as double) - 1) * 100
    end
{%- endmacro %}

{% macro pct_share(part_value, whole_value) -%}
    case
        when {{ whole_value }} is null or {{ part_value }} is null or {{ whole_value }} = 0 then null
        else cast({{ part_value }} as double) / cast({{ whole_value }} as double) * 100
    end
{%- endmacro %}

{# Money as the BI contract wants it: DECIMAL(20,2) yuan / US dollars. #}
{% macro money(expr) -%}
    cast({{ expr }} as decimal(20, 2))
{%- endmacro %}
