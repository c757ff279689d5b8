"""Published figures and the timeline of values that reproduces them.

Values are chosen in tenths of 亿元 (one printed decimal) so that every published month,
year-to-date and year figure comes out exactly; a small seeded jitter in 万元 then makes
the 万元 figures look like real data without moving any printed 亿元 figure. Reference
ids (A01, S22, ...) are those of the project's published-figures list (docs/sample-data.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# 1 亿元 = 10,000 万元; the tables below are in tenths of 亿元 = 1,000 万元.
WAN_PER_TENTH = 1000

FLOWS = ("exports", "imports")

# Full years before 2020 as (total, exports) in 亿元. Only the marked figures are published.
ANNUAL = {
    2012: ("3350.0", "2400.0"),
    2013: ("4250.0", "2900.0"),
    2014: ("5860.0", "3960.0"),
    2015: ("4620.0", "3420.0"),
    2016: ("4140.0", "2660.0"),
    2017: ("4506.1", "2883.5"),  # total implied by S01/S02: 5222.6 / 4506.1 - 1 = 15.9 %
    2018: ("5222.6", "3395.3"),  # S01, S03 (imports 1827.3 = S04)
    2019: ("5792.8", "3712.9"),  # S05 first release; exports synthetic
}
# January-June 2019 so that January-June 2020 (2759.2, S25) grows by 3.5 % (S35).
FIRST_HALF_2019 = "2665.5"

# Seasonal profile of a synthetic year (January .. December), shares of the year.
SEASON = (0.078, 0.062, 0.079, 0.080, 0.081, 0.084, 0.085, 0.086, 0.088, 0.084, 0.093, 0.100)

# Customs periods of 2020 and 2021 (January-February combined under month 2), 亿元, as
# first published. 2021-10 is the October bulletin's value (S34); the November bulletin
# revises it by +0.2 (REVISIONS).
PERIOD_TOTALS = {
    2020: {2: "820.0", 3: "490.0", 4: "440.0", 5: "443.0",  # sum 2193.0 = S25 - S22
           6: "566.2", 7: "642.2", 8: "582.2", 9: "630.3",  # S22, S26 - S25 - S23, S23, S24
           10: "535.7", 11: "662.2", 12: "701.6"},  # 11: A01/(1+A03); 12: S08 - Jan-Nov
    2021: {2: "1162.0", 3: "640.0",  # sum 1802.0 = S28
           4: "657.1", 5: "587.9", 6: "719.0",  # S29 - S28; S30 - S29 - S31; S31
           7: "659.2", 8: "651.6",  # S32 - S30 - S33; S33
           9: "700.0", 10: "658.4",  # sum 1358.4 = S34 - S32
           11: "769.5", 12: "797.1"},  # A01; December synthetic
}
# Exports over January-November and December (亿元). 2020: S09 with Jan-Nov 3737.8 so that
# A09 (23.9 %) holds; 2021: A08 less the +0.2 revision of October, December synthetic.
EXPORT_SPANS = {2020: ("3737.8", "449.7"), 2021: ("4630.9", "510.0")}
# Jan-Nov 2020 world total and imports implied by A07 (24.0 %) and A11 (24.1 %).
JAN_NOV_2020 = ("5811.8", "2074.0")


@dataclass(frozen=True)
class Revision:
    """A later figure for an earlier period, released with a later vintage."""

    period: date
    flow: str
    delta_wan: int
    released: date
    corrected_bulletin: bool  # True: a corrected bulletin file for the period is delivered


REVISIONS = (
    # 2019 revised to 5790.0, so 2020 grows by 6513.4 / 5790.0 - 1 = 12.49 -> 12.5 (S10),
    # while the first 2019-12 vintage keeps 5792.8 (S05).
    Revision(date(2019, 12, 1), "exports", -28_000, date(2020, 4, 20), True),
    # The November 2021 bulletin's Jan-Nov 7204.9 implies Jan-Oct 6435.4, not 6435.2 (S34).
    Revision(date(2021, 10, 1), "exports", 2_000, date(2021, 12, 20), False),
)

# Growth printed by customs that differs from the growth recomputed from the data:
# (bulletin period, flow, column) -> printed percent.
PRINTED_GROWTH_OVERRIDES = {
    (date(2021, 6, 1), "total", "cumulative"): 37.6,  # S36; the data give 3766.0 / 2759.2 -> 36.5
}

# Partner blocks pinned to published figures. Per year and flow either the full-year
# value, or (January-November, December). 亿元. Blocks: ASEAN's ten members, the EU of 27,
# the United Kingdom (in the EU until January 2020) and the United States.
BLOCK_TARGETS = {
    "ASEAN": {
        2017: {"exports": "190.0", "imports": "390.0"},
        2018: {"exports": "265.6", "imports": "493.3"},  # 758.9, so 2019 grows 43.2 % (S07)
        2019: {"exports": "360.2", "imports": "726.5"},  # 1086.7 (S06)
        2020: {"exports": ("325.0", "39.1"), "imports": ("681.4", "76.2")},  # S13, S14; Jan-Nov 1006.4 (A13)
        2021: {"exports": ("380.0", "38.0"), "imports": ("762.3", "80.0")},  # Jan-Nov 1142.3 (A12)
    },
    "EU27": {
        2017: {"exports": "560.0", "imports": "190.0"},
        2018: {"exports": "640.0", "imports": "210.0"},
        2019: {"exports": "680.0", "imports": "200.0"},  # with the UK 980.0 < ASEAN (A14)
        2020: {"exports": "780.0", "imports": "257.8"},  # 1037.8 (S16)
        2021: {"exports": ("840.0", "80.0"), "imports": ("282.2", "25.0")},  # Jan-Nov 1122.2 (S20)
    },
    "GB": {
        2017: {"exports": "70.0", "imports": "15.0"},
        2018: {"exports": "80.0", "imports": "16.0"},
        2019: {"exports": "85.0", "imports": "15.0"},
        2020: {"exports": "95.0", "imports": "14.0"},
        2021: {"exports": ("100.0", "9.0"), "imports": ("15.0", "1.5")},
    },
    "US": {
        2017: {"exports": "700.0", "imports": "120.0"},
        2018: {"exports": "800.0", "imports": "140.0"},
        2019: {"exports": "800.0", "imports": "140.0"},
        2020: {"exports": "915.0", "imports": "161.5"},  # 1076.5 (S15)
        2021: {"exports": ("920.0", "85.0"), "imports": ("158.9", "15.0")},  # Jan-Nov 1078.9 (S21)
    },
}
# Members' weights within their block; Vietnam, Malaysia and Thailand lead ASEAN.
BLOCK_MEMBERS = {
    "ASEAN": {"VN": 0.44, "MY": 0.20, "TH": 0.13, "SG": 0.07, "ID": 0.055, "PH": 0.045,
              "MM": 0.027, "KH": 0.013, "LA": 0.011, "BN": 0.009},
    "EU27": {"DE": 0.24, "NL": 0.16, "FR": 0.10, "IT": 0.09, "ES": 0.06, "PL": 0.06, "BE": 0.05,
             "CZ": 0.035, "HU": 0.03, "SE": 0.025, "AT": 0.02, "IE": 0.02, "DK": 0.015, "FI": 0.012,
             "PT": 0.012, "RO": 0.011, "GR": 0.01, "SK": 0.009, "SI": 0.008, "BG": 0.006,
             "HR": 0.005, "LT": 0.005, "LV": 0.004, "EE": 0.004, "LU": 0.003, "MT": 0.002, "CY": 0.002},
    "GB": {"GB": 1.0},
    "US": {"US": 1.0},
}
# Published 2020 members' totals (亿元) with the export share used to split them.
MEMBER_TOTALS_2020 = {"VN": ("489.8", 0.30), "MY": ("227.5", 0.25), "TH": ("150.1", 0.35)}  # S17-S19

# The remaining partners share what the blocks leave, by flow. Continents' unlisted
# partners fall into their `其他` row.
RESIDUAL_WEIGHTS = {
    "exports": {"HK": 0.15, "TW": 0.05, "JP": 0.08, "KR": 0.07, "IN": 0.07, "SA": 0.03, "AE": 0.04,
                "KZ": 0.03, "MN": 0.01, "PK": 0.02, "BD": 0.02, "LK": 0.01, "TL": 0.001,
                "ZA": 0.03, "NG": 0.025, "EG": 0.02, "KE": 0.01, "GH": 0.008, "AO": 0.005,
                "RU": 0.05, "CH": 0.01, "NO": 0.005, "BY": 0.004, "UA": 0.01,
                "BR": 0.05, "MX": 0.05, "CL": 0.02, "AR": 0.012, "CO": 0.01, "PE": 0.01,
                "CA": 0.04, "AU": 0.05, "NZ": 0.01, "FJ": 0.002},
    "imports": {"HK": 0.01, "TW": 0.18, "JP": 0.15, "KR": 0.17, "IN": 0.01, "SA": 0.03, "AE": 0.01,
                "KZ": 0.02, "MN": 0.015, "PK": 0.003, "BD": 0.002, "LK": 0.002, "TL": 0.0005,
                "ZA": 0.02, "NG": 0.004, "EG": 0.002, "KE": 0.002, "GH": 0.003, "AO": 0.01,
                "RU": 0.03, "CH": 0.04, "NO": 0.005, "BY": 0.002, "UA": 0.008,
                "BR": 0.06, "MX": 0.01, "CL": 0.05, "AR": 0.01, "CO": 0.004, "PE": 0.02,
                "CA": 0.03, "AU": 0.09, "NZ": 0.02, "FJ": 0.001},
}

# Trade-mode shares (code -> share of the flow).
TRADE_MODE_SHARES = {
    "exports": {"10": 0.25, "14": 0.05, "15": 0.55, "33": 0.07, "34": 0.05, "19": 0.005,
                "22": 0.01, "25": 0.0, "39": 0.015},
    "imports": {"10": 0.30, "14": 0.03, "15": 0.42, "33": 0.12, "34": 0.10, "19": 0.005,
                "22": 0.0, "25": 0.01, "39": 0.015},
}


@dataclass(frozen=True)
class Item:
    """A bulletin commodity row: share of the flow, price in 万元 per unit, HS codes."""

    share: float
    price_wan: float = 0.0
    hs_weights: tuple[tuple[str, float], ...] = ()


# Aggregates (`*`) only need a share; rows with HS codes feed the detail extracts too.
ITEMS = {
    "exports": {
        "机电产品": Item(0.86), "高新技术产品": Item(0.58),
        "笔记本电脑": Item(0.38, 0.26, (("84713000", 1.0),)),
        "手机": Item(0.07, 0.09, (("85171200", 1.0),)),
        "集成电路": Item(0.05, 0.0003, (("85423100", 0.5), ("85423900", 0.5))),
        "打印机": Item(0.04, 0.08, (("84433212", 0.6), ("84433213", 0.4))),
        "汽车": Item(0.03, 7.5, (("87032250", 0.35), ("87032343", 0.35), ("87038000", 0.3))),
        "汽车零配件": Item(0.03, 0.0, (("87089990", 0.6), ("87084099", 0.4))),
        "摩托车": Item(0.035, 0.55, (("87112010", 0.2), ("87112020", 0.5), ("87112030", 0.3))),
        "日用品": Item(0.02, 0.0, (("39241000", 0.5), ("73239300", 0.5))),
        "服装及衣着附件": Item(0.02, 0.0, (("61091000", 0.5), ("62034200", 0.5))),
        "节日用品": Item(0.005, 0.0, (("95051000", 0.6), ("95059000", 0.4))),
        "农产品": Item(0.012),
        "鲜柠檬": Item(0.0012, 0.55, (("08055000", 1.0),)),
    },
    "imports": {
        "机电产品": Item(0.70), "高新技术产品": Item(0.52),
        "集成电路": Item(0.30, 0.0008, (("85423100", 0.55), ("85423200", 0.15), ("85423900", 0.3))),
        "计算机零部件": Item(0.08, 0.0, (("84733090", 1.0),)),
        "液晶显示板": Item(0.06, 0.05, (("90138030", 1.0),)),
        "汽车零配件": Item(0.05, 0.0, (("87089990", 0.5), ("87084099", 0.5))),
        "金属矿及矿砂": Item(0.05, 0.09, (("26011100", 0.6), ("26030000", 0.3), ("26080000", 0.1))),
        "天然橡胶": Item(0.01, 1.1, (("40012200", 0.8), ("40011000", 0.2))),
        "农产品": Item(0.05),
        "大米": Item(0.004, 0.42, (("10063020", 1.0),)),
        "肉类": Item(0.02, 2.2, (("02032900", 0.6), ("02023000", 0.4))),
        "医药品": Item(0.015, 0.0, (("30049090", 1.0),)),
    },
}
# HS codes of the trade no bulletin row lists (the detail extracts still carry it).
UNLISTED_HS = {
    "exports": (("85076000", 0.25), ("40111000", 0.1), ("94036099", 0.15), ("73089000", 0.1),
                ("39269090", 0.15), ("29420000", 0.05), ("84798999", 0.2)),
    "imports": (("03061719", 0.05), ("08039000", 0.05), ("29420000", 0.2), ("39269090", 0.1),
                ("85076000", 0.2), ("84798999", 0.2), ("73089000", 0.2)),
}

# CNY per USD at the start of each year, interpolated month by month; 2021-11 is pinned
# so that 769.5 亿元 = 12060 百万美元 (A02).
USD_RATE_POINTS = {2012: 6.31, 2013: 6.28, 2014: 6.10, 2015: 6.15, 2016: 6.50, 2017: 6.90, 2018: 6.50,
                   2019: 6.80, 2020: 6.95, 2021: 6.50, 2022: 6.37}
PINNED_USD_MILLIONS = {date(2021, 11, 1): 12060}

# Corridor: ILSTC rail-sea trains from Chongqing.
CORRIDOR_START = {"ILSTC_RAIL_SEA": date(2017, 4, 1), "ILSTC_CROSS_BORDER_ROAD": date(2017, 4, 1),
                  "ILSTC_CROSS_BORDER_RAIL": date(2018, 6, 1), "CHINA_LAOS_RAIL": date(2021, 12, 4)}
# Rail-sea trains per year (all below 2021's, so 2021 is a record, A17).
RAIL_SEA_TRAINS_PER_YEAR = {2017: 178, 2018: 605, 2019: 1095, 2020: 1540}
# 2021 by month: Jan-Mar 393 (S37), Jan-Nov 1950 (A17).
RAIL_SEA_TRAINS_2021 = (120, 118, 155, 175, 185, 190, 195, 200, 205, 210, 197, 182)
# TEU: Jan-Mar 19588 (S37), Jan-Oct 92831 (S38).
RAIL_SEA_TEU_2021 = {(1, 3): 19588, (4, 10): 92831 - 19588}


def tenths(text: str) -> int:
    """'769.5' -> 7695 tenths of 亿元."""
    whole, _, decimal = text.partition(".")
    return int(whole) * 10 + int(decimal or 0)


# Vintages: the bulletin about the 20th of the next month, the detail five days later,
# the train log on the 5th.
def bulletin_vintage(period: date) -> date:
    year, month = (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
    return date(year, month, 20)


def detail_vintage(bulletin_vintage_: date) -> date:
    return date(bulletin_vintage_.year, bulletin_vintage_.month, bulletin_vintage_.day + 5)


def trains_vintage(month: date) -> date:
    year, m = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    return date(year, m, 5)
