"""The Spark build against the DuckDB build, table by table and row for row.

DuckDB's tables are read from its warehouse file, Spark's from the Parquet files it wrote
under the lake (<lake>/<schema>/<table>/*.parquet). Two tables are equal when they have
the same columns with the same types and the same multiset of rows, doubles compared
after rounding (DOUBLE_DECIMALS): the engines may sum in another order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

DOUBLE_DECIMALS = 6
COMPARED_SCHEMAS = ("marts", "reference")


@dataclass
class TableComparison:
    table: str
    duckdb_rows: int
    spark_rows: int
    rows_only_in_duckdb: int = 0
    rows_only_in_spark: int = 0
    column_differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (self.rows_only_in_duckdb or self.rows_only_in_spark or self.column_differences) and (
            self.duckdb_rows == self.spark_rows
        )

    def line(self) -> str:
        verdict = "equal" if self.equal else "DIFFERENT"
        detail = f"{self.duckdb_rows} rows on DuckDB, {self.spark_rows} on Spark"
        if not self.equal:
            detail += f"; {self.rows_only_in_duckdb} only on DuckDB, {self.rows_only_in_spark} only on Spark"
            detail += "".join(f"; {difference}" for difference in self.column_differences)
        return f"{self.table:<45} {verdict:<9} {detail}"


def compare_builds(warehouse_db: Path, lake: Path, schemas: tuple[str, ...] = COMPARED_SCHEMAS) -> list[TableComparison]:
    """Every table of ``schemas`` in the DuckDB warehouse against Spark's Parquet of it."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse_db}' as built (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = 'built' and table_schema in ? order by 1, 2",
            [list(schemas)],
        ).fetchall()
        return [_compare(con, schema, table, lake / schema / table) for schema, table in tables]


def _compare(con: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path) -> TableComparison:
    name = f"{schema}.{table}"
    ours = f'built.{schema}."{table}"'
    duckdb_rows = con.execute(f"select count(*) from {ours}").fetchone()[0]
    if not any(folder.glob("*.parquet")):
        return TableComparison(name, duckdb_rows, 0, duckdb_rows, 0, [f"no Parquet files in {folder}"])
    theirs = f"read_parquet('{folder}/*.parquet')"
    spark_rows = con.execute(f"select count(*) from {theirs}").fetchone()[0]
    duckdb_columns = dict(con.execute(f"select column_name, column_type from (describe {ours})").fetchall())
    spark_columns = dict(con.execute(f"select column_name, column_type from (describe select * from {theirs})").fetchall())
    differences = [
        f"{column}: {duckdb_columns.get(column, 'missing')} on DuckDB, {spark_columns.get(column, 'missing')} on Spark"
        for column in sorted(duckdb_columns.keys() | spark_columns.keys())
        if duckdb_columns.get(column) != spark_columns.get(column)
    ]
    if differences:
        return TableComparison(name, duckdb_rows, spark_rows, column_differences=differences)
    select = ", ".join(
        f'round("{column}", {DOUBLE_DECIMALS}) as "{column}"' if kind == "DOUBLE" else f'"{column}"'
        for column, kind in duckdb_columns.items()
    )
    only_ours = con.execute(f"select count(*) from (select {select} from {ours} except all select {select} from {theirs})").fetchone()[0]
    only_theirs = con.execute(f"select count(*) from (select {select} from {theirs} except all select {select} from {ours})").fetchone()[0]
    return TableComparison(name, duckdb_rows, spark_rows, only_ours, only_theirs)
