"""Invariants of the raw layer, as set-based SQL over the latest vintage of each period.

Each function returns the offending rows (empty = the check holds), so the Dagster checks
stay thin and the rules can be tested directly against a DuckDB connection.
"""

from __future__ import annotations

import duckdb

from orchestration import settings

# Rounding allowances: the totals sheet prints 亿元 with one decimal; the country sheet 万元.
TOTALS_VS_COUNTRY_TOLERANCE_YUAN = 6_000_000  # 0.05 亿元 of rounding plus 0.01 of slack
YUAN_PER_WAN = 10_000
DETAIL_TOLERANCE = 0.001  # the contract: within 0.1 percent of the bulletin


def _reference(con: duckdb.DuckDBPyConnection, seed: str) -> None:
    """Expose a reference CSV (a dbt seed) to SQL under its own name, every column as text."""
    path = settings.reference_dir() / f"{seed}.csv"
    con.register(seed, con.read_csv(str(path), header=True, all_varchar=True))


_LATEST_BULLETIN = """
    latest AS (
        SELECT reference_month, max(vintage) AS vintage FROM raw.bulletin_totals GROUP BY reference_month
    )
"""


def country_table_off_totals(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """总值 of the country sheet against the totals sheet, per period, flow and column."""
    return con.execute(
        f"""
        WITH {_LATEST_BULLETIN},
        totals AS (
            SELECT t.reference_month, t.flow, t.month_value, t.ytd_value
            FROM raw.bulletin_totals t JOIN latest USING (reference_month, vintage)
            WHERE t.currency = 'CNY'
        ),
        world AS (
            SELECT p.reference_month, p.flow, p.month_value_cny, p.ytd_value_cny
            FROM raw.bulletin_partners p JOIN latest USING (reference_month, vintage)
            WHERE p.row_kind = 'world'
        )
        SELECT reference_month, flow, totals.month_value, world.month_value_cny,
               totals.ytd_value, world.ytd_value_cny
        FROM totals JOIN world USING (reference_month, flow)
        WHERE abs(totals.month_value - world.month_value_cny) > {TOTALS_VS_COUNTRY_TOLERANCE_YUAN}
           OR abs(totals.ytd_value - world.ytd_value_cny) > {TOTALS_VS_COUNTRY_TOLERANCE_YUAN}
        ORDER BY reference_month, flow
        """
    ).fetchall()


def group_rows_off_members(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Each group row (东盟, 欧盟) against the sum of its members valid at the period's end,
    for the month and the year to date."""
    _reference(con, "ref_partners")
    _reference(con, "ref_partner_groups")
    return con.execute(
        f"""
        WITH {_LATEST_BULLETIN},
        rows AS (
            SELECT p.* FROM raw.bulletin_partners p JOIN latest USING (reference_month, vintage)
        ),
        groups AS (
            SELECT r.reference_month, r.flow, g.partner AS group_partner, r.month_value_cny, r.ytd_value_cny
            FROM rows r JOIN ref_partners g ON g.name_zh = r.partner_name_zh AND g.partner_kind = 'group'
            WHERE r.row_kind = 'group'
        ),
        members AS (
            SELECT r.reference_month, r.flow, m.group_partner, sum(r.month_value_cny) AS month_value_cny,
                   sum(r.ytd_value_cny) AS ytd_value_cny, count(*) AS members
            FROM rows r
            JOIN ref_partners c ON c.name_zh = r.partner_name_zh AND c.partner_kind = 'country'
            JOIN ref_partner_groups m ON m.member_partner = c.partner
             AND CAST(m.valid_from AS DATE) <= last_day(r.reference_month)
             AND (m.valid_to IS NULL OR CAST(m.valid_to AS DATE) >= last_day(r.reference_month))
            WHERE r.row_kind = 'partner'
            GROUP BY ALL
        )
        SELECT g.reference_month, g.flow, g.group_partner, g.month_value_cny, m.month_value_cny,
               g.ytd_value_cny, m.ytd_value_cny, m.members
        FROM groups g LEFT JOIN members m USING (reference_month, flow, group_partner)
        WHERE m.ytd_value_cny IS NULL
           OR abs(g.month_value_cny - m.month_value_cny) > m.members * {YUAN_PER_WAN}
           OR abs(g.ytd_value_cny - m.ytd_value_cny) > m.members * {YUAN_PER_WAN}
        ORDER BY 1, 2, 3
        """
    ).fetchall()


def detail_off_bulletin(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The detail extract's sum per period and flow against the bulletin's month value."""
    return con.execute(
        f"""
        WITH {_LATEST_BULLETIN},
        latest_detail AS (
            SELECT reference_month, flow, max(vintage) AS vintage FROM raw.customs_detail GROUP BY ALL
        ),
        detail AS (
            SELECT d.reference_month, d.flow, sum(d.value_cny) AS value_cny
            FROM raw.customs_detail d JOIN latest_detail USING (reference_month, flow, vintage)
            GROUP BY ALL
        ),
        bulletin AS (
            SELECT t.reference_month, t.flow, t.month_value AS value_cny
            FROM raw.bulletin_totals t JOIN latest USING (reference_month, vintage)
            WHERE t.currency = 'CNY'
        )
        SELECT reference_month, flow, bulletin.value_cny, detail.value_cny,
               abs(detail.value_cny - bulletin.value_cny) / bulletin.value_cny AS relative_gap
        FROM detail JOIN bulletin USING (reference_month, flow)
        WHERE abs(detail.value_cny - bulletin.value_cny) > {DETAIL_TOLERANCE} * bulletin.value_cny
        ORDER BY 1, 2
        """
    ).fetchall()


def unmapped_partners(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Partner names (bulletin) and customs codes (detail) missing from the reference data."""
    _reference(con, "ref_partners")
    return con.execute(
        """
        SELECT DISTINCT 'bulletin' AS source, partner_name_zh AS partner, continent_name_zh AS context
        FROM raw.bulletin_partners b
        WHERE row_kind = 'partner'
          AND NOT EXISTS (SELECT 1 FROM ref_partners r WHERE r.name_zh = b.partner_name_zh)
        UNION ALL
        SELECT DISTINCT 'detail', partner_code, partner_name_zh
        FROM raw.customs_detail d
        WHERE NOT EXISTS (SELECT 1 FROM ref_partners r WHERE r.customs_code = d.partner_code)
        ORDER BY 1, 2
        """
    ).fetchall()
