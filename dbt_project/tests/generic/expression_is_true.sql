{#
  Fails for every row where the SQL boolean expression is not true (false or NULL is
  a failure unless the expression handles NULL itself). Restrict rows with config.where.
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
