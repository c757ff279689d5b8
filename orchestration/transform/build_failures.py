"""Why a dbt build failed, in words an operator can act on.

Each failing test or erroring model is named; for a test, the rows dbt stored
(``store_failures``, as views in schema ``test_failures``) are read back, and each row's
lineage (the landing file, its vintage, the sheet and row or the line) says which files
are behind the failure. Rows of a mart name their file by ``source_file_id``; the file's
name and vintage come from the load audit."""

from __future__ import annotations

from typing import Any

import duckdb

FAILED_STATUSES = ("fail", "error")
# Failing rows quoted per test: enough to act on, short enough for a status line.
QUOTED_ROWS = 5
FILE_COLUMNS = ("source_file", "source_file_id", "source_sha256")
LINEAGE_COLUMNS = (*FILE_COLUMNS, "vintage", "source_sheet", "source_row")


def describe_failures(run_results: dict[str, Any], con: duckdb.DuckDBPyConnection) -> str:
    """One sentence per failed node of ``run_results`` (dbt's run_results.json), with the
    files behind its failing rows; ``con`` reads the warehouse the build wrote."""
    failed = [r for r in run_results.get("results", []) if r.get("status") in FAILED_STATUSES]
    if not failed:
        return "dbt build failed with no failed node in run_results.json"
    return "; ".join(_describe(result, con) for result in failed)


def _describe(result: dict[str, Any], con: duckdb.DuckDBPyConnection) -> str:
    kind, _, name = result["unique_id"].split(".", 2)
    name = name.split(".")[-2] if kind == "test" else name.split(".")[-1]
    if kind != "test" or result["status"] == "error":
        return f"dbt {kind} {name} {result['status']}ed: {(result.get('message') or '').strip()[:300]}"
    rows = result.get("failures")
    sources = _failing_row_sources(con, result.get("relation_name"))
    where = f" in {', '.join(sources)}" if sources else ""
    return f"dbt test {name} failed on {rows} row{'s' if rows != 1 else ''}{where}"


def _failing_row_sources(con: duckdb.DuckDBPyConnection, relation: str | None) -> list[str]:
    if not relation:
        return []
    try:
        columns = {c[0] for c in con.execute(f"describe select * from {relation}").fetchall()}
        groups = _lineage_groups(columns)
        if not groups:
            return []
        select = [column for group in groups for column in group.values()]
        rows = con.execute(f"select distinct {', '.join(select)} from {relation} limit {QUOTED_ROWS}").fetchall()
    except duckdb.Error:
        return []  # the stored rows are a convenience; the test's name is reason enough
    described = []
    for row in rows:
        values = iter(row)
        described.append(" and ".join(
            _where({name: next(values) for name in group}, con) for group in groups
        ))
    return described


def _lineage_groups(columns: set[str]) -> list[dict[str, str]]:
    """The lineage columns of a failing row, one group per file it names: a reconciliation
    row names its own file and, prefixed (``bulletin_source_file_id``...), the file it is
    held to. Each group maps the unprefixed name to the column."""
    prefixes = sorted({column[: -len(name)] for column in columns for name in FILE_COLUMNS if column.endswith(name)},
                      key=len)
    groups = [{name: prefix + name for name in LINEAGE_COLUMNS if prefix + name in columns} for prefix in prefixes]
    return [group for group in groups if group]


def _where(row: dict[str, Any], con: duckdb.DuckDBPyConnection) -> str:
    file_name, vintage = row.get("source_file"), row.get("vintage")
    sha = row.get("source_file_id") or row.get("source_sha256")
    if file_name is None and sha is not None:
        file_name, vintage = _audited_file(con, sha) or (f"file {sha[:12]}", vintage)
    place = _place(row.get("source_sheet"), row.get("source_row"))
    return " ".join(part for part in (file_name, f"(vintage {vintage})" if vintage else "", place) if part)


def _place(sheet: str | None, row: int | None) -> str:
    if row is None:
        return ""
    return f"sheet {sheet} row {row}" if sheet else f"line {row}"


def _audited_file(con: duckdb.DuckDBPyConnection, sha: str) -> tuple[str, Any] | None:
    found = con.execute(
        "select file_name, vintage from staging.stg_warehouse__load_audit"
        " where file_sha256 = ? and status in ('loaded', 'superseded') limit 1",
        [sha],
    ).fetchone()
    return tuple(found) if found else None
