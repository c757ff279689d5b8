"""Landing-file parsers against crafted files: what conforms is parsed exactly, and each
way of breaking the contract is refused with its reason code and a message that says where."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.parsing.bulletin import parse_bulletin
from orchestration.parsing.detail_extract import (
    DETAIL_HEADER,
    ContractBreach,
    TranscodedExtract,
    checked_rows_query,
    diagnose_extracts,
    expected_rows,
    transcode_to_utf8,
)
from orchestration.parsing.errors import ContractViolation, UnknownFileName
from orchestration.parsing.landing_names import LandingName, check_release_dates, parse_landing_name
from orchestration.parsing.train_log import parse_train_log
from tests.support.parser_fixtures import (
    bulletin_sheets,
    detail_rows,
    row_of,
    set_cell,
    train_rows,
    write_bulletin,
    write_detail,
    write_trains,
)

NOV_2021 = date(2021, 11, 1)
RAW_SCHEMA = Path(__file__).resolve().parents[1] / "orchestration" / "ingest" / "raw_schema.sql"
LINEAGE = {"vintage", "source_file", "source_sha256", "load_id", "loaded_at"}


def raw_columns(table: str) -> set[str]:
    """Column names of a raw table, read from raw_schema.sql."""
    body = re.search(rf"CREATE TABLE IF NOT EXISTS raw\.{table} \((.*?)\n\);", RAW_SCHEMA.read_text(), re.S)[1]
    body = re.sub(r"--[^\n]*", "", body)
    body = re.sub(r"\(\d+,\s*\d+\)", "", body)
    return {part.split()[0] for part in body.split(",") if part.strip()}


def expected_keys(table: str) -> set[str]:
    return raw_columns(table) - LINEAGE | {"source_row"}


def refused(reason: str, call, *args) -> str:
    with pytest.raises(ContractViolation) as caught:
        call(*args)
    assert caught.value.reason == reason, caught.value
    return caught.value.message


# --- file names and release dates -------------------------------------------------------


def test_landing_names():
    assert parse_landing_name("customs_bulletin", "cq_bulletin_2021-11_20211220.xlsx") == LandingName(
        "customs_bulletin", NOV_2021, date(2021, 12, 20), None
    )
    detail = parse_landing_name("customs_detail", "customs_detail/cq_detail_2021-02_import_20210325.csv")
    assert (detail.reference_month, detail.flow, detail.vintage) == (date(2021, 2, 1), "imports", date(2021, 3, 25))
    assert parse_landing_name("customs_detail", "cq_detail_2021-11_export_20211225.csv").flow == "exports"
    assert parse_landing_name("corridor_trains", "trains_2021-12_20220103.csv").reference_month == date(2021, 12, 1)


@pytest.mark.parametrize(
    "feed, name",
    [
        ("customs_bulletin", "cq_bulletin_2021-11_20211220.xlsx.part"),
        ("customs_bulletin", "cq_bulletin_2021-11_20210231.xlsx"),  # no 31 February
        ("customs_bulletin", "cq_bulletin_2021-13_20211220.xlsx"),
        ("customs_bulletin", "corridor_trains/cq_bulletin_2021-11_20211220.xlsx"),
        ("customs_detail", "cq_detail_2021-11_exports_20211225.csv"),
        ("corridor_trains", "trains_2021-11.csv"),
        ("weather", "trains_2021-11_20211205.csv"),
    ],
)
def test_unknown_file_names(feed, name):
    with pytest.raises(UnknownFileName):
        parse_landing_name(feed, name)


def test_release_dates():
    today = date(2022, 1, 10)
    check_release_dates(parse_landing_name("customs_bulletin", "cq_bulletin_2021-11_20211220.xlsx"), today)
    check_release_dates(parse_landing_name("customs_bulletin", "cq_bulletin_2019-01_20190220.xlsx"), today)
    check_release_dates(parse_landing_name("corridor_trains", "trains_2021-01_20210201.csv"), today)


@pytest.mark.parametrize(
    "feed, name, reason, words",
    [
        ("customs_bulletin", "cq_bulletin_2022-02_20220120.xlsx", "future_period", "2022-02-28"),
        ("corridor_trains", "trains_2021-12_20211231.csv", "early_vintage", "2021-12-31"),
        ("customs_detail", "cq_detail_2021-01_export_20210220.csv", "wrong_period", "2021-02"),
    ],
)
def test_release_date_refusals(feed, name, reason, words):
    message = refused(reason, check_release_dates, parse_landing_name(feed, name), date(2022, 1, 10))
    assert words in message


# --- bulletin: conforming files -----------------------------------------------------------


@pytest.fixture
def nov_bulletin(tmp_path):
    return parse_bulletin(write_bulletin(tmp_path / "b.xlsx", bulletin_sheets(NOV_2021)), NOV_2021)


def test_bulletin_rows_have_exactly_the_raw_columns(nov_bulletin):
    for table, rows in [
        ("bulletin_totals", nov_bulletin.totals),
        ("bulletin_partners", nov_bulletin.partners),
        ("bulletin_commodities", nov_bulletin.commodities),
        ("bulletin_trade_modes", nov_bulletin.trade_modes),
    ]:
        assert rows and all(set(row) == expected_keys(table) for row in rows), table


def test_bulletin_totals_units_are_exact(nov_bulletin):
    totals = {(row["flow"], row["currency"]): row for row in nov_bulletin.totals}
    assert totals["total", "CNY"]["month_value"] == Decimal("76950000000")
    assert totals["exports", "CNY"]["month_value"] == Decimal("48050000000")
    assert totals["total", "USD"]["month_value"] == Decimal("12023400000")  # 12023.4 百万美元
    assert totals["total", "CNY"]["ytd_yoy_pct"] == -5.1  # written as text '-5.1'; negative rates are normal
    assert totals["imports", "USD"]["source_row"] == 9
    assert all(isinstance(row["month_value"], Decimal) for row in nov_bulletin.totals)
    assert {row["months_in_period"] for row in nov_bulletin.totals} == {1}


def test_bulletin_partners_long_format_and_row_kinds(nov_bulletin):
    partners = nov_bulletin.partners
    by_name = {(row["partner_name_zh"], row["continent_name_zh"], row["flow"]): row for row in partners}
    assert len(partners) == 3 * 27  # 27 sheet rows, one per flow
    world = by_name["总值", None, "imports"]
    assert (world["row_kind"], world["month_value_cny"]) == ("world", Decimal(28_900_000_000))
    assert world["ytd_yoy_pct"] is None  # printed '-'
    assert by_name["亚洲", "亚洲", "total"]["row_kind"] == "continent"
    assert by_name["东盟", "亚洲", "exports"]["row_kind"] == "group"
    assert by_name["欧盟", "欧洲", "imports"]["month_value_cny"] == Decimal(4_000_000_000)
    assert by_name["其他", "北美洲", "exports"]["row_kind"] == "other"
    vietnam = by_name["越南", "亚洲", "exports"]  # written as '\u3000\u3000越南'
    assert (vietnam["row_kind"], vietnam["month_value_cny"], vietnam["ytd_value_cny"]) == (
        "partner", Decimal(3_000_000_000), Decimal(30_000_000_000)
    )
    assert by_name["越南", "亚洲", "total"]["ytd_yoy_pct"] is None  # '-'
    assert by_name["越南", "亚洲", "imports"]["ytd_yoy_pct"] == 4.0
    assert not any("\u3000" in row["partner_name_zh"] for row in partners)


def test_bulletin_commodities_sub_items_and_aggregates(nov_bulletin):
    rows = {(row["flow"], row["commodity_name_zh"]): row for row in nov_bulletin.commodities}
    electric_cars = rows["exports", "电动载人汽车"]
    assert (electric_cars["is_sub_item"], electric_cars["unit"]) == (True, "辆")
    assert electric_cars["parent_name_zh"] == "汽车"
    assert electric_cars["month_value_cny"] == Decimal(8_000_000_000)
    electrical = rows["exports", "机电产品"]
    assert electrical["is_overlapping_aggregate"] and not electrical["is_sub_item"]
    assert (electrical["unit"], electrical["month_quantity"], electrical["ytd_quantity_yoy_pct"]) == (None, None, None)
    lemons = rows["exports", "鲜柠檬"]
    assert (lemons["month_quantity"], lemons["ytd_quantity"], lemons["parent_name_zh"]) == (1234.5, 12345.5, None)
    assert rows["imports", "铁矿砂及其精矿"]["parent_name_zh"] == "金属矿及矿砂"
    assert rows["imports", "大米"]["source_row"] == 10
    assert len(nov_bulletin.commodities) == 16  # footnotes after the export list are not rows


def test_bulletin_trade_modes(nov_bulletin):
    rows = {(row["trade_mode_name_zh"], row["flow"]): row for row in nov_bulletin.trade_modes}
    assert len(nov_bulletin.trade_modes) == 7 * 3
    feed = rows["进料加工贸易", "imports"]
    assert (feed["is_sub_item"], feed["parent_name_zh"]) == (True, "加工贸易")
    assert feed["month_value_cny"] == Decimal(9_000_000_000)
    assert rows["总值", "total"]["ytd_value_cny"] == Decimal(769_500_000_000)
    assert rows["一般贸易", "exports"]["parent_name_zh"] is None


def test_bulletin_january_february(tmp_path):
    february = date(2021, 2, 1)
    sheets = bulletin_sheets(february)
    assert sheets["总值表"][2][2:4] == ["1-2月", "1至2月累计"]
    tables = parse_bulletin(write_bulletin(tmp_path / "b.xlsx", sheets), february)
    assert {row["months_in_period"] for row in tables.totals + tables.partners} == {2}
    # up to 2019 February is a month of its own: the same headers would be wrong
    message = refused("wrong_layout", parse_bulletin, tmp_path / "b.xlsx", date(2019, 2, 1))
    assert "'2月'" in message and "'1-2月'" in message


# --- bulletin: refusals -------------------------------------------------------------------


def broken_bulletin(tmp_path, reference_month=NOV_2021, **changes) -> Path:
    """A bulletin with cells changed: changes maps sheet -> [(row name or number, col, value)]."""
    sheets = bulletin_sheets(reference_month)
    for sheet, edits in changes.items():
        for row, col, value in edits:
            number = row if isinstance(row, int) else row_of(sheets[sheet], row)
            set_cell(sheets[sheet], number, col, value)
    return write_bulletin(tmp_path / "b.xlsx", sheets)


def test_bulletin_unreadable(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    assert "cannot read the workbook" in refused("unreadable", parse_bulletin, path, NOV_2021)


def test_bulletin_missing_sheet(tmp_path):
    sheets = bulletin_sheets(NOV_2021)
    sheets["贸易方式统计"] = sheets.pop("贸易方式")
    message = refused("wrong_layout", parse_bulletin, write_bulletin(tmp_path / "b.xlsx", sheets), NOV_2021)
    assert "missing: 贸易方式" in message and "unexpected: 贸易方式统计" in message


def test_bulletin_header_of_another_month(tmp_path):
    path = broken_bulletin(tmp_path, 国别地区=[(4, 2, "10月")])
    message = refused("wrong_layout", parse_bulletin, path, NOV_2021)
    assert "sheet 国别地区 cell B4" in message and "'11月'" in message and "'10月'" in message


def test_bulletin_wrong_unit_line(tmp_path):
    path = broken_bulletin(tmp_path, 主要进口商品=[(2, 1, "单位：亿元人民币")])
    assert "sheet 主要进口商品 cell A2" in refused("wrong_layout", parse_bulletin, path, NOV_2021)


def test_bulletin_content_after_footnotes(tmp_path):
    sheets = bulletin_sheets(NOV_2021)
    sheets["贸易方式"].append(["加工贸易", 1, 1, 1, 1, 1, 1])
    message = refused("wrong_layout", parse_bulletin, write_bulletin(tmp_path / "b.xlsx", sheets), NOV_2021)
    assert f"sheet 贸易方式 row {len(sheets['贸易方式'])}" in message and "after the data" in message


def test_bulletin_partner_before_any_continent(tmp_path):
    sheets = bulletin_sheets(NOV_2021)
    sheets["国别地区"].insert(5, ["美国", 1, 1, 1, 1, 0, 0, "-", "-", "-"])
    message = refused("wrong_layout", parse_bulletin, write_bulletin(tmp_path / "b.xlsx", sheets), NOV_2021)
    assert "sheet 国别地区 row 6" in message and "before any continent" in message


def test_bulletin_negative_value(tmp_path):
    path = broken_bulletin(tmp_path, 主要出口商品=[("摩托车", 3, -5)])
    message = refused("negative_value", parse_bulletin, path, NOV_2021)
    assert "sheet 主要出口商品 cell C" in message and "-5" in message


def test_bulletin_bad_value(tmp_path):
    path = broken_bulletin(tmp_path, 国别地区=[("日本", 4, "约20万")])
    message = refused("bad_value", parse_bulletin, path, NOV_2021)
    assert re.search(r"sheet 国别地区 cell D\d+: expected a number, found '约20万'", message)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"总值表": [(6, 3, 480.7)]}, "sheet 总值表 11月 CNY"),  # exports 480.7 + 289.0 vs 769.5 亿元
        ({"总值表": [(7, 4, 75000.0)]}, "sheet 总值表 1至11月 USD"),
        ({"国别地区": [("亚洲", 4, 1_500_100)]}, "sheet 国别地区 出口 11月: continents"),
        # 总值 and its continents moved together by 0.2 亿元: only the totals sheet disagrees
        ({"国别地区": [("总值", 3, 76_952_000), ("亚洲", 3, 29_002_000)]}, "sheet 国别地区 总值"),
        ({"贸易方式": [("一般贸易", 3, 32_000_500)]}, "sheet 贸易方式 进出口 1至11月"),
        ({"贸易方式": [("其中：进料加工贸易", 6, 900_003)]}, "the 其中 rows against 加工贸易"),
    ],
)
def test_bulletin_internal_sums(tmp_path, changes, words):
    message = refused("internal_sums", parse_bulletin, broken_bulletin(tmp_path, **changes), NOV_2021)
    assert words in message


def test_bulletin_rounding_is_tolerated(tmp_path):
    # six continents may miss 总值 by the rounding of seven whole-万元 figures (3.5 万元),
    # 出口 + 进口 miss 进出口 by that of three 0.1-百万美元 figures
    path = broken_bulletin(tmp_path, 国别地区=[("亚洲", 4, 1_500_003)], 总值表=[(5, 3, 12023.5)])
    assert parse_bulletin(path, NOV_2021).totals
    with pytest.raises(ContractViolation, match="difference 4, tolerance 3.5"):
        parse_bulletin(broken_bulletin(tmp_path, 国别地区=[("亚洲", 4, 1_500_004)]), NOV_2021)


# --- detail extract ---------------------------------------------------------------------


def stage_one(con, utf8: Path, lines: int, reference_month: date, flow: str, relation: str) -> None:
    """Read one transcoded extract as the loader does into TEMP table ``relation``; should
    the checked read fail, raise the refusal the diagnosis names."""
    extract = TranscodedExtract("the file", utf8, lines, reference_month, flow)
    query, params = checked_rows_query([extract])
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{relation}" AS {query}', params)
        read = con.execute(f'SELECT count(*) FROM "{relation}"').fetchone()[0]
        if read != expected_rows([extract]):
            raise ContractBreach(f"{read} rows read")
    except (duckdb.InvalidInputException, duckdb.ConversionException, ContractBreach):
        refused = diagnose_extracts(con, [extract])
        assert refused, "the checked read failed, the diagnosis found nothing"
        raise refused["the file"] from None
    assert not diagnose_extracts(con, [extract]), "the checked read passed a file the diagnosis refuses"


def stage(tmp_path, rows, reference_month=NOV_2021, flow="exports", **write_options):
    """Transcode, stage and validate a crafted extract; returns (connection, line count)."""
    src = write_detail(tmp_path / "cq_detail.csv", rows, **write_options)
    return stage_from_file(tmp_path, src, reference_month, flow)


def stage_from_file(tmp_path, src: Path, reference_month=NOV_2021, flow="exports"):
    lines = transcode_to_utf8(src, tmp_path / "utf8.csv")
    con = duckdb.connect()
    stage_one(con, tmp_path / "utf8.csv", lines, reference_month, flow, "staged detail")
    return con, lines


def test_detail_gb18030_crlf_quoted(tmp_path):
    con, lines = stage(tmp_path, detail_rows(NOV_2021))
    raw = (tmp_path / "cq_detail.csv").read_bytes()
    assert b"\r\n" in raw and "平板电脑".encode("gb18030") in raw
    assert lines == 5
    staged = con.execute('SELECT * EXCLUDE (file_position) FROM "staged detail" ORDER BY source_row').fetchall()
    columns = [c[0] for c in con.description]
    assert set(columns) == raw_columns("customs_detail") - LINEAGE - {"reference_month", "months_in_period", "flow"} | {
        "source_row"
    }
    first, lemons, car, chips = (dict(zip(columns, row)) for row in staged)
    assert first["commodity_name_zh"] == "平板电脑,便携式" and first["quantity_2"] is None
    assert (lemons["hs_code"], lemons["quantity_1"], lemons["value_cny"]) == ("08055000", 20.5, Decimal("85000.00"))
    assert car["commodity_name_zh"] == '小轿车"1.5升"' and car["province_code"] == "51"
    assert [row[-1] for row in staged] == [2, 3, 4, 5]
    assert chips["unit_1"] is None and chips["value_usd"] == Decimal(0)


def test_detail_transcode_small_chunks_split_characters(tmp_path):
    src = write_detail(tmp_path / "d.csv", detail_rows(NOV_2021))
    for chunk_bytes in (1, 3, 7):
        transcode_to_utf8(src, tmp_path / "u.csv", chunk_bytes=chunk_bytes)
        original = src.read_bytes().decode("gb18030").splitlines(keepends=True)
        numbered = "".join(f"{number},{line}" for number, line in enumerate(original, start=1))
        assert (tmp_path / "u.csv").read_bytes() == numbered.encode("utf-8")


def test_detail_source_row_follows_the_file_on_many_threads(tmp_path):
    # larger than DuckDB's 32 MB read buffer and the transcoder's 4 MiB chunks: the line
    # numbers must run on across chunks and survive a read on many threads
    count = 500_000
    template = ",".join(detail_rows(NOV_2021)[1][:13])  # a row without fields to quote
    body = "".join(f"{template},{n},1\r\n" for n in range(count))  # 人民币 = index of the data row
    src = tmp_path / "d.csv"
    src.write_bytes((DETAIL_HEADER + "\r\n" + body).encode("gb18030"))
    assert src.stat().st_size > 32 << 20
    assert transcode_to_utf8(src, tmp_path / "u.csv") == count + 1
    con = duckdb.connect()
    con.execute("SET threads = 8")
    stage_one(con, tmp_path / "u.csv", count + 1, NOV_2021, "exports", "detail")
    check = "SELECT count(*), count(*) FILTER (WHERE source_row <> CAST(value_cny AS BIGINT) + 2) FROM detail"
    assert con.execute(check).fetchone() == (count, 0)


def test_detail_source_rows_of_several_files_read_together(tmp_path):
    # several extracts in one checked read, as the loader reads a batch: each row's line
    # number is counted within its own file, whatever the threads do
    template = ",".join(detail_rows(NOV_2021)[1][:13])
    extracts = []
    for index, count in enumerate((300_000, 7, 250_000)):
        src = tmp_path / f"d{index}.csv"
        body = "".join(f"{template},{n},{index}\r\n" for n in range(count))  # 人民币 = data row, 美元 = file
        src.write_bytes((DETAIL_HEADER + "\r\n" + body).encode("gb18030"))
        lines = transcode_to_utf8(src, tmp_path / f"u{index}.csv")
        extracts.append(TranscodedExtract(f"file {index}", tmp_path / f"u{index}.csv", lines, NOV_2021, "exports"))
    con = duckdb.connect()
    con.execute("SET threads = 8")
    query, params = checked_rows_query(extracts)
    check = (
        "SELECT count(*), count(*) FILTER (WHERE source_row <> CAST(value_cny AS BIGINT) + 2 "
        f"OR file_position <> CAST(value_usd AS BIGINT) + 1) FROM ({query})"
    )
    assert con.execute(check, params).fetchone() == (550_007, 0)


def test_detail_blank_line_is_refused(tmp_path):
    # DuckDB's reader skips a blank line: the line numbers after it would be off by one
    src = write_detail(tmp_path / "d.csv", detail_rows(NOV_2021))
    lines = src.read_bytes().split(b"\r\n")
    src.write_bytes(b"\r\n".join([*lines[:3], b"", *lines[3:]]))
    assert "line 4 is blank" in refused("wrong_layout", transcode_to_utf8, src, tmp_path / "u.csv", 16)


def test_detail_undecodable_bytes(tmp_path):
    src = write_detail(tmp_path / "d.csv", detail_rows(NOV_2021))
    data = src.read_bytes()
    offset = data.index("鲜柠檬".encode("gb18030"))
    src.write_bytes(data[:offset] + b"\x81\x20" + data[offset + 2 :])
    message = refused("unreadable", transcode_to_utf8, src, tmp_path / "u.csv", 16)
    assert f"byte offset {offset} (line 3)" in message


def test_detail_utf8_delivered(tmp_path):
    src = write_detail(tmp_path / "d.csv", detail_rows(NOV_2021), encoding="utf-8")
    assert "UTF-8" in refused("wrong_encoding", transcode_to_utf8, src, tmp_path / "u.csv")


def test_detail_wrong_header(tmp_path):
    src = write_detail(tmp_path / "d.csv", detail_rows(NOV_2021), header=DETAIL_HEADER.replace("美元", "美金"))
    assert "美金" in refused("wrong_layout", transcode_to_utf8, src, tmp_path / "u.csv")


def test_detail_csv_parse_error(tmp_path):
    rows = detail_rows(NOV_2021)
    rows[1].append("extra")
    message = refused("wrong_layout", stage, tmp_path, rows)
    assert "does not parse" in message and "Line: 3" in message and "Found: 16" in message


def test_detail_text_where_a_number_is_due(tmp_path):
    rows = detail_rows(NOV_2021)
    rows[2][13] = "约45万"
    message = refused("bad_value", stage, tmp_path, rows)
    assert "Line: 4" in message and "value_cny" in message and "约45万" in message


@pytest.mark.parametrize(
    "column, value, reason, words",
    [
        (13, "-85000", "negative_value", "人民币 is negative on 1 row(s), e.g. line 3"),
        (9, "-1", "negative_value", "第一数量 is negative"),
        (0, "202110", "wrong_period", "数据年月 is not 202111 on 1 row(s), e.g. line 3 ('202110')"),
        (1, "8055000", "bad_value", "商品编码 is not 8 digits on 1 row(s), e.g. line 3 ('8055000')"),
        (3, "60", "bad_value", "贸易伙伴编码 is not 3 digits"),
        (5, "1", "bad_value", "贸易方式编码 is not 2 digits"),
        (7, "", "bad_value", "注册地编码 is not 2 digits"),
        (14, "", "bad_value", "美元 is empty"),
    ],
)
def test_detail_value_refusals(tmp_path, column, value, reason, words):
    rows = detail_rows(NOV_2021)
    rows[1][column] = value
    assert words in refused(reason, stage, tmp_path, rows)


# --- train log ------------------------------------------------------------------------------


def test_train_log(tmp_path):
    rows = parse_train_log(write_trains(tmp_path / "t.csv", train_rows()), NOV_2021)
    assert all(set(row) == expected_keys("corridor_trains") for row in rows)
    first, _, last = rows
    assert first["departure_at"] == datetime(2021, 10, 31, 17, 30, tzinfo=timezone.utc)  # 1 November in Chongqing
    assert first["cargo"] == "摩托车, 汽车零部件" and first["cargo_value_cny"] == Decimal("12500000.50")
    assert (last["train_id"], last["wagons"], last["cargo_value_cny"], last["cargo"], last["source_row"]) == (
        "X8001", 12, Decimal("3600000"), None, 4)  # cargo, free text, may be empty


def test_train_log_without_bom(tmp_path):
    assert len(parse_train_log(write_trains(tmp_path / "t.csv", train_rows(), bom=False), NOV_2021)) == 3


def broken_trains(tmp_path, row: int, column: int, value: str) -> Path:
    rows = train_rows()
    rows[row][column] = value
    return write_trains(tmp_path / "t.csv", rows)


@pytest.mark.parametrize(
    "row, column, value, reason, words",
    [
        (1, 2, "2021-11-30T16:00:00+00:00", "wrong_period", "line 3: departure_at"),  # 1 December in Chongqing
        (1, 2, "2021-11-15T09:40:00", "bad_value", "with an offset"),
        (1, 6, "-40", "negative_value", "line 3: wagons is negative"),
        (0, 8, "-1.5", "negative_value", "cargo_value_cny is negative"),
        (1, 7, "eighty", "bad_value", "teu 'eighty'"),
        (1, 1, "ILSTC_AIR", "bad_value", "service 'ILSTC_AIR'"),
        (1, 5, "north", "bad_value", "direction 'north'"),
    ],
)
def test_train_log_refusals(tmp_path, row, column, value, reason, words):
    assert words in refused(reason, parse_train_log, broken_trains(tmp_path, row, column, value), NOV_2021)


def test_train_log_duplicate_id_within_a_service(tmp_path):
    rows = train_rows()
    rows[1][0], rows[1][1] = "X8001", "ILSTC_RAIL_SEA"
    message = refused("duplicate_record", parse_train_log, write_trains(tmp_path / "t.csv", rows), NOV_2021)
    assert "line 3: train_id 'X8001' of ILSTC_RAIL_SEA repeats line 2" in message


def test_train_log_china_laos_before_opening(tmp_path):
    rows = [["CL001", "CHINA_LAOS_RAIL", "2021-12-02T10:00:00+08:00", "重庆", "万象", "outbound", "30", "60", "18000000", ""]]
    path = write_trains(tmp_path / "t.csv", rows)
    message = refused("china_laos_before_opening", parse_train_log, path, date(2021, 12, 1))
    assert "CL001" in message and "2021-12-02" in message
    rows[0][2] = "2021-12-04T10:00:00+08:00"
    assert parse_train_log(write_trains(tmp_path / "t.csv", rows), date(2021, 12, 1))[0]["train_id"] == "CL001"


def test_train_log_wrong_header(tmp_path):
    header = ["train_id", "service", "departure", "origin", "destination", "direction", "wagons", "teu",
              "cargo_value_cny", "cargo"]
    path = write_trains(tmp_path / "t.csv", train_rows(), header=header)
    assert "line 1" in refused("wrong_layout", parse_train_log, path, NOV_2021)


def test_train_log_wrong_field_count(tmp_path):
    rows = train_rows()
    rows[2] = rows[2][:-1]
    assert "line 4: expected 10 fields, found 9" in refused(
        "wrong_layout", parse_train_log, write_trains(tmp_path / "t.csv", rows), NOV_2021
    )


def test_train_log_unreadable(tmp_path):
    path = write_trains(tmp_path / "t.csv", train_rows(), bom=False)
    path.write_bytes(path.read_bytes().replace("万象".encode(), "万象".encode("gb18030")))
    assert "not valid UTF-8" in refused("unreadable", parse_train_log, path, NOV_2021)


# --- the sample-data generator's files ----------------------------------------------------


def parse_landing_file(path: Path, con: duckdb.DuckDBPyConnection, today: date):
    """Run a landing file through its feed's parser as the loader would; returns the parsed rows."""
    name = parse_landing_name(path.parent.name, path.name)
    check_release_dates(name, today)
    if name.feed == "customs_bulletin":
        return parse_bulletin(path, name.reference_month)
    if name.feed == "customs_detail":
        utf8 = path.with_name(path.name + ".utf8")
        lines = transcode_to_utf8(path, utf8)
        stage_one(con, utf8, lines, name.reference_month, name.flow, "detail")
        utf8.unlink()
        return con.execute("SELECT count(*) FROM detail").fetchone()[0]
    return parse_train_log(path, name.reference_month)


def test_generated_sample_files_parse(tmp_path):
    sample_data = pytest.importorskip("tools.sample_data")
    files = sample_data.generate(tmp_path, date(2019, 12, 1), date(2020, 2, 1))
    files += sample_data.generate(tmp_path, date(2021, 11, 1), date(2021, 11, 1))
    con = duckdb.connect()
    parsed = {path.name: parse_landing_file(path, con, date(2022, 6, 1)) for path in files}
    feeds = {path.parent.name for path in files}
    assert feeds == {"customs_bulletin", "customs_detail", "corridor_trains"}
    bulletins = sorted(name for name in parsed if name.startswith("cq_bulletin_"))
    assert any(name.startswith("cq_bulletin_2020-02_") for name in bulletins)
    assert not any(name.startswith("cq_bulletin_2020-01_") for name in bulletins)  # inside 2020-02
    assert all(count > 0 for name, count in parsed.items() if name.startswith("cq_detail"))
    november = parsed[next(name for name in bulletins if name.startswith("cq_bulletin_2021-11_"))]
    totals = {(row["flow"], row["currency"]): row["month_value"] for row in november.totals}
    assert totals["total", "CNY"] == Decimal(76_950_000_000)
