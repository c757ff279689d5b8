{#
  The landing files behind the marts: every file whose rows are in the raw layer, keyed by
  its SHA-256 (source_file_id in every fact table). A file is 'loaded' while it is the
  latest vintage of its feed, period and flow (THE vintage rule,
  int_landing__latest_vintages), 'superseded' once a later vintage replaces it.
#}
-- The latest accepted load of each file (Spark 4.0 parses no QUALIFY).
with accepted as (
    select *, row_number() over (partition by file_sha256 order by finished_at desc) as load_recency
    from {{ ref('stg_warehouse__load_audit') }}
    where status in ('loaded', 'superseded')
),

files as (
    select * from accepted where load_recency = 1
),

latest as (
    select feed, reference_month, flow, vintage
    from {{ ref('int_landing__latest_vintages') }}
)

select
    f.file_sha256                               as source_file_id,
    f.file_name,
    f.feed,
    f.reference_month,
    f.vintage,
    f.finished_at                               as loaded_at,
    f.rows_loaded                               as row_count,
    case when l.vintage is not null then 'loaded' else 'superseded' end as status,
    f.flow,
    f.file_bytes,
    f.load_id
from files as f
left join latest as l
    on l.feed = f.feed
   and l.reference_month = f.reference_month
   and l.flow = coalesce(f.flow, 'all')
   and l.vintage = f.vintage
