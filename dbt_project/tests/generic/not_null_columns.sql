{#
  Fails for every row where any of the given columns is NULL: a node's required columns
  in one test, since each dbt test costs a node of its own (docs/benchmarks.md).
#}
{% test not_null_columns(model, columns) %}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
