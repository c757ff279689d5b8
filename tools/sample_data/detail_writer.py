"""The detailed extract: one GB18030 CSV per period and flow, rows by HS code, partner,
trade mode and province, summing to the bulletin's month value less confidential lines.

Rows are drawn and rendered with numpy over whole files (no per-row Python), so the
20-million-row benchmark set stays quick to build.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from . import reference as ref
from .output import write_file
from .timeline import FlowData, allocate, rng

HEADER = ("数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,贸易方式编码,贸易方式名称,"
          "注册地编码,注册地名称,第一数量,第一计量单位,第二数量,第二计量单位,人民币,美元")
FLOW_NAMES = {"exports": "export", "imports": "import"}

# Province of the trading firm: mostly Chongqing, some firms registered elsewhere.
PROVINCES = (("11", "北京市", 0.02), ("31", "上海市", 0.03), ("32", "江苏省", 0.02), ("33", "浙江省", 0.02),
             ("44", "广东省", 0.04), ("45", "广西壮族自治区", 0.005), ("50", "重庆市", 0.80),
             ("51", "四川省", 0.05), ("52", "贵州省", 0.01), ("53", "云南省", 0.005))

# HS code -> (first unit, yuan per first unit, kilograms per unit for a second quantity).
HS_UNITS = {
    "02023000": ("千克", 40, None), "02032900": ("千克", 18, None), "03061719": ("千克", 50, None),
    "08039000": ("千克", 5, None), "08055000": ("千克", 5.5, None), "10063020": ("千克", 4.2, None),
    "26011100": ("千克", 0.8, None), "26030000": ("千克", 15, None), "26080000": ("千克", 8, None),
    "29420000": ("千克", 120, None), "30049090": ("千克", 800, None), "39241000": ("千克", 25, None),
    "39269090": ("千克", 40, None), "40011000": ("千克", 9, None), "40012200": ("千克", 11, None),
    "40111000": ("条", 300, 9.0), "61091000": ("件", 30, 0.2), "62034200": ("条", 60, 0.5),
    "73089000": ("千克", 9, None), "73239300": ("千克", 35, None), "84433212": ("台", 800, 8.0),
    "84433213": ("台", 500, 6.0), "84713000": ("台", 2600, 2.0), "84733090": ("千克", 300, None),
    "84798999": ("台", 20000, 300.0), "85076000": ("个", 150, 0.5), "85171200": ("台", 900, 0.2),
    "85423100": ("个", 3, None), "85423200": ("个", 5, None), "85423900": ("个", 2, None),
    "87032250": ("辆", 70000, 1200.0), "87032343": ("辆", 90000, 1400.0), "87038000": ("辆", 100000, 1600.0),
    "87084099": ("千克", 60, None), "87089990": ("千克", 40, None), "87112010": ("辆", 4000, 100.0),
    "87112020": ("辆", 5500, 110.0), "87112030": ("辆", 6500, 120.0), "90138030": ("个", 500, 1.0),
    "94036099": ("件", 800, 30.0), "95051000": ("千克", 30, None), "95059000": ("千克", 28, None),
}


def detail_name(period: date, flow: str, vintage: date) -> str:
    return f"cq_detail_{period:%Y-%m}_{FLOW_NAMES[flow]}_{vintage:%Y%m%d}.csv"


def _quote(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _column(texts: list[str], index: np.ndarray) -> np.ndarray:
    return np.array(texts, dtype=object)[index]


def write_detail(period: date, flow: str, data: FlowData, usd_rate: float, vintage: date,
                 rows: int, seed: int, out_dir: Path) -> tuple[Path, int]:
    r = rng(seed, "detail", period, flow, vintage)
    names = ref.hs_names()
    countries = sorted((p for p in ref.countries() if data.partners.get(p.code)), key=lambda p: p.customs_code)
    modes = sorted((m for m in ref.trade_modes() if data.modes.get(m.code)), key=lambda m: m.code)
    hs_codes = sorted(code for code, value in data.hs.items() if value)

    # Every combination of the four dimensions, weighted like the bulletin, with a heavy tail.
    weights = np.einsum(
        "h,p,m,v->hpmv",
        np.array([data.hs[c] for c in hs_codes], dtype=float),
        np.array([data.partners[p.code] for p in countries], dtype=float),
        np.array([data.modes[m.code] for m in modes], dtype=float),
        np.array([share for _, _, share in PROVINCES]),
    ).ravel() * r.lognormal(0.0, 0.8, len(hs_codes) * len(countries) * len(modes) * len(PROVINCES))
    wanted = min(int(rows * r.uniform(0.95, 1.05)), int((weights > 0).sum()))
    # Weighted sampling without replacement (Efraimidis-Spirakis keys), then sorted.
    keys = np.log(r.random(len(weights))) / np.where(weights > 0, weights, np.nan)
    keys = np.nan_to_num(keys, nan=-np.inf)
    chosen = np.sort(np.argpartition(-keys, wanted - 1)[:wanted])
    h, p, m, v = np.unravel_index(chosen, (len(hs_codes), len(countries), len(modes), len(PROVINCES)))

    # Confidential lines are left out: the rows fall 0.01-0.08 percent short of the bulletin.
    total_yuan = data.total * 10_000
    kept = total_yuan - max(1, round(total_yuan * r.uniform(0.0001, 0.0008)))
    yuan = allocate(kept - wanted, weights[chosen]) + 1
    usd = np.rint(yuan / usd_rate).astype(np.int64)
    price = np.array([HS_UNITS[c][1] for c in hs_codes])[h]
    qty1 = np.maximum(1, np.rint(yuan / price * r.uniform(0.9, 1.1, wanted))).astype(np.int64)
    kg = np.array([HS_UNITS[c][2] or 0.0 for c in hs_codes])[h]
    qty2 = np.where(kg > 0, np.maximum(1, np.rint(qty1 * kg)).astype(np.int64).astype(str), "")

    hs_text = [f"{c},{_quote(names[c])}" for c in hs_codes]
    partner_text = [f"{c.customs_code},{_quote(c.name_zh)}" for c in countries]
    mode_text = [f"{m.code},{_quote(m.name_zh)}" for m in modes]
    province_text = [f"{code},{name}" for code, name, _ in PROVINCES]
    unit1 = [HS_UNITS[c][0] for c in hs_codes]
    unit2 = ["千克" if HS_UNITS[c][2] else "" for c in hs_codes]
    lines = (f"{period:%Y%m}," + _column(hs_text, h) + "," + _column(partner_text, p) + ","
             + _column(mode_text, m) + "," + _column(province_text, v) + ","
             + qty1.astype(str).astype(object) + "," + _column(unit1, h) + ","
             + qty2.astype(object) + "," + _column(unit2, h) + ","
             + yuan.astype(str).astype(object) + "," + usd.astype(str).astype(object))
    text = HEADER + "\r\n" + "\r\n".join(lines.tolist()) + "\r\n"
    path = out_dir / "customs_detail" / detail_name(period, flow, vintage)
    return write_file(path, text.encode("gb18030")), wanted
