{#
  Seeds on Spark as DuckDB loads them. dbt-spark 1.11.0's session method pastes each value
  into the INSERT as '<value>' unescaped: an apostrophe breaks the statement and an empty
  cell arrives as the string 'None' (every test still passes). Here every value is a
  quoted, escaped literal and an empty cell is NULL. dbt dispatches load_csv_rows to the
  root project's spark__ version first.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            {#- The first batch overwrites: a seed loaded again finds its dropped table's files
                at its location, which a plain insert would add to. #}
            insert {{ 'overwrite table' if loop.first else 'into' }} {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ spark_seed_literal(value) }} as {{ types[loop.index0] }}){%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{# A Spark SQL string literal (backslash escapes) of a seed cell, NULL for an empty one. #}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
