{#
  The raw layer on the Spark targets is the lake itself (orchestration/ingest writes it):
  each dbt source of schema raw becomes a view over its Parquet folder,
  <lake>/raw/<table>/reference_month=YYYY-MM-DD/*.parquet (Spark's partition discovery
  types reference_month DATE), and raw.load_audit a view over the loader's snapshot of
  the audit, <lake>/load_audit/load_audit.parquet. As on DuckDB, a raw view shows only the
  rows of live loads, those the snapshot's column `live` marks (the loader writes it from
  load_audit.LIVE_LOADS_SQL: accepted, and the latest load of its slice): a file of a load
  that died before its audit row, or of one a later load replaced, never reaches a model. Views, so each run sees the files landed
  since. On DuckDB the raw relations are the loader's own and nothing is done here.
#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('WAREHOUSE_LAKE', 'data/lake') -%}
        {%- set sources = graph.sources.values() | selectattr('schema', 'equalto', 'raw') | list -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in sources if source.identifier == 'load_audit' -%}
            {%- do run_query("create or replace view raw.load_audit as select * from parquet.`" ~ lake ~ "/load_audit/load_audit.parquet`") -%}
        {%- endfor -%}
        {%- for source in sources if source.identifier != 'load_audit' -%}
            {%- do run_query(
                "create or replace view raw." ~ source.identifier ~ " as select * from parquet.`" ~ lake ~ "/raw/" ~ source.identifier ~ "`"
                ~ " where load_id in (select load_id from raw.load_audit where live)"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
