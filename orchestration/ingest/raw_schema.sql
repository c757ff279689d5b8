-- The raw layer: every vintage of every accepted landing file, one row per source row,
-- values already converted to yuan / US dollars, with lineage on every row. These are the
-- tables of the lake (ingest/lake.py): Parquet files under <lake>/raw/<table>/, with
-- reference_month in the path; the warehouse reads them through views of the same names.
-- The load audit stays a table in the warehouse (ingest/load_audit.py).
-- reference_month is the month named in the file name (first day); a January-February
-- bulletin or detail extract has reference_month YYYY-02-01 and months_in_period = 2.
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.bulletin_totals (
    reference_month   DATE NOT NULL,
    months_in_period  INTEGER NOT NULL,
    flow              VARCHAR NOT NULL,   -- total | exports | imports  (进出口 | 出口 | 进口)
    currency          VARCHAR NOT NULL,   -- CNY | USD                   (人民币 | 美元)
    month_value       DECIMAL(20, 2),     -- yuan or US dollars; NULL where the sheet has '-'
    ytd_value         DECIMAL(20, 2),
    month_yoy_pct     DOUBLE,             -- as printed by customs
    ytd_yoy_pct       DOUBLE,
    source_sheet      VARCHAR NOT NULL,   -- the workbook sheet the row was read from
    vintage DATE NOT NULL, source_file VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, load_id VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.bulletin_partners (
    reference_month   DATE NOT NULL,
    months_in_period  INTEGER NOT NULL,
    partner_name_zh   VARCHAR NOT NULL,   -- name as printed, indentation (U+3000) removed
    row_kind          VARCHAR NOT NULL,   -- world | continent | group | other | partner
    continent_name_zh VARCHAR,            -- the continent section the row stands in (NULL for 总值)
    flow              VARCHAR NOT NULL,   -- total | exports | imports
    month_value_cny   DECIMAL(20, 2),
    ytd_value_cny     DECIMAL(20, 2),
    ytd_yoy_pct       DOUBLE,             -- as printed by customs
    source_sheet      VARCHAR NOT NULL,   -- the workbook sheet the row was read from
    vintage DATE NOT NULL, source_file VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, load_id VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.bulletin_commodities (
    reference_month   DATE NOT NULL,
    months_in_period  INTEGER NOT NULL,
    flow              VARCHAR NOT NULL,   -- exports | imports (主要出口商品 | 主要进口商品)
    commodity_name_zh VARCHAR NOT NULL,   -- without the 其中： prefix and the trailing *
    parent_name_zh    VARCHAR,            -- for a 其中： row, the row it is part of
    is_sub_item       BOOLEAN NOT NULL,   -- the name started with 其中：
    is_overlapping_aggregate BOOLEAN NOT NULL,  -- the name ended with *
    unit              VARCHAR,            -- 计量单位; NULL where the sheet has '-'
    month_quantity    DOUBLE,
    month_value_cny   DECIMAL(20, 2),
    ytd_quantity      DOUBLE,
    ytd_value_cny     DECIMAL(20, 2),
    ytd_quantity_yoy_pct DOUBLE,
    ytd_value_yoy_pct DOUBLE,
    source_sheet      VARCHAR NOT NULL,   -- the workbook sheet the row was read from
    vintage DATE NOT NULL, source_file VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, load_id VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.bulletin_trade_modes (
    reference_month   DATE NOT NULL,
    months_in_period  INTEGER NOT NULL,
    trade_mode_name_zh VARCHAR NOT NULL,  -- without the 其中： prefix
    parent_name_zh    VARCHAR,
    is_sub_item       BOOLEAN NOT NULL,
    flow              VARCHAR NOT NULL,   -- total | exports | imports
    month_value_cny   DECIMAL(20, 2),
    ytd_value_cny     DECIMAL(20, 2),
    source_sheet      VARCHAR NOT NULL,   -- the workbook sheet the row was read from
    vintage DATE NOT NULL, source_file VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, load_id VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.customs_detail (
    reference_month   DATE NOT NULL,
    months_in_period  INTEGER NOT NULL,
    flow              VARCHAR NOT NULL,   -- exports | imports (from the file name)
    data_month        VARCHAR NOT NULL,   -- 数据年月 YYYYMM as printed
    hs_code           VARCHAR NOT NULL,   -- 8 digits, leading zeros kept
    commodity_name_zh VARCHAR,
    partner_code      VARCHAR NOT NULL,   -- customs 3-digit code
    partner_name_zh   VARCHAR,
    trade_mode_code   VARCHAR NOT NULL,
    trade_mode_name_zh VARCHAR,
    province_code     VARCHAR NOT NULL,
    province_name_zh  VARCHAR,
    quantity_1        DOUBLE,
    unit_1            VARCHAR,
    quantity_2        DOUBLE,
    unit_2            VARCHAR,
    value_cny         DECIMAL(20, 2) NOT NULL,
    value_usd         DECIMAL(20, 2) NOT NULL,
    vintage DATE NOT NULL, source_file VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, load_id VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.corridor_trains (
    reference_month   DATE NOT NULL,
    train_id          VARCHAR NOT NULL,
    service           VARCHAR NOT NULL,
    departure_at      TIMESTAMPTZ NOT NULL,
    origin            VARCHAR NOT NULL,
    destination       VARCHAR NOT NULL,
    direction         VARCHAR NOT NULL,
    wagons            INTEGER,
    teu               INTEGER,
    cargo_value_cny   DECIMAL(20, 2),
    cargo             VARCHAR,
    vintage DATE NOT NULL, source_file VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, load_id VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);
