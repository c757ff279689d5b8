{#
  The lineage columns every raw row carries (file, its hash, vintage, row, load), passed
  through by each staging model so that any figure can be traced back to its file.
#}
{% macro lineage_columns() -%}
        cast(vintage as date)                                           as vintage,
        source_file,
        source_sha256,
        source_row,
        load_id,
        loaded_at
{%- endmacro %}

{#
  A bulletin row also names its sheet: with source_sha256 and source_row it is the cell
  row a figure was printed in.
#}
{% macro bulletin_lineage_columns() -%}
        {{ lineage_columns() }},
        source_sheet
{%- endmacro %}
