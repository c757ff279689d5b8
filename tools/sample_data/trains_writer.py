"""The corridor operator's train log: one UTF-8 CSV per calendar month of departures."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from orchestration.periods import add_months, month_end

from . import calibration as cal
from .output import write_file
from .timeline import allocate, rng

HEADER = ("train_id", "service", "departure_at", "origin", "destination", "direction",
          "wagons", "teu", "cargo_value_cny", "cargo")
CHINA_TIME = timezone(timedelta(hours=8))

# service -> (train id prefix, Chongqing terminal, far-end terminals)
ROUTES = {
    "ILSTC_RAIL_SEA": ("RS", "重庆团结村", ("钦州港东站",)),
    "ILSTC_CROSS_BORDER_RAIL": ("XR", "重庆团结村", ("河内安员站",)),
    "ILSTC_CROSS_BORDER_ROAD": ("XL", "重庆南彭公路物流基地", ("河内", "曼谷", "万象", "金边")),
    "CHINA_LAOS_RAIL": ("CL", "重庆团结村", ("万象南站",)),
}
CARGO = {
    "outbound": ("笔记本电脑", "摩托车及配件", "汽车零配件, 机械设备", "日用品, 服装", "化工原料", "玻璃纤维"),
    "inbound": ("天然橡胶", "大米, 热带水果", "金属矿砂", "木材, 纸浆", "冻品", "化肥"),
}


def trains_name(month: date, vintage: date) -> str:
    return f"trains_{month:%Y-%m}_{vintage:%Y%m%d}.csv"


def _rail_sea_per_month(year: int) -> list[int]:
    if year == 2021:
        return list(cal.RAIL_SEA_TRAINS_2021)
    if year in cal.RAIL_SEA_TRAINS_PER_YEAR:
        first = cal.CORRIDOR_START["ILSTC_RAIL_SEA"].month if year == 2017 else 1
        weights = np.array(cal.SEASON) * (np.arange(1, 13) >= first)
        return [int(n) for n in allocate(cal.RAIL_SEA_TRAINS_PER_YEAR[year], weights)]
    return [0] * 12 if year < 2017 else [round(n * 1.08 ** (year - 2021)) for n in cal.RAIL_SEA_TRAINS_2021]


def _rail_sea_teu(month: date, trains: int, seed: int) -> int:
    if month.year == 2021:
        for (first, last), teu in cal.RAIL_SEA_TEU_2021.items():
            if first <= month.month <= last:
                counts = cal.RAIL_SEA_TRAINS_2021[first - 1:last]
                return int(allocate(teu, counts)[month.month - first])
    return round(trains * rng(seed, "teu", month).uniform(48, 56))


def _plan(service: str, month: date, seed: int) -> tuple[int, int]:
    """(trains, TEU) a service runs in a month."""
    start = cal.CORRIDOR_START[service]
    if month_end(month) < start:
        return 0, 0
    if service == "ILSTC_RAIL_SEA":
        trains = _rail_sea_per_month(month.year)[month.month - 1]
        return trains, _rail_sea_teu(month, trains, seed)
    r = rng(seed, "plan", service, month)
    age = (month.year - start.year) * 12 + month.month - start.month  # months since opening
    base = {"ILSTC_CROSS_BORDER_RAIL": 8 + age * 0.4, "ILSTC_CROSS_BORDER_ROAD": 20 + age * 0.6,
            "CHINA_LAOS_RAIL": 12 + age * 2.0}[service]
    trains = max(1, round(base * r.uniform(0.85, 1.15)))
    per_train = {"ILSTC_CROSS_BORDER_RAIL": 38, "ILSTC_CROSS_BORDER_ROAD": 16, "CHINA_LAOS_RAIL": 30}[service]
    return trains, round(trains * per_train * r.uniform(0.9, 1.1))


def _trains(service: str, month: date, seed: int) -> list[list]:
    trains, teu = _plan(service, month, seed)
    if trains == 0:
        return []
    r = rng(seed, "trains", service, month)
    first_day = max(month, cal.CORRIDOR_START[service]).day
    days = np.sort(r.integers(first_day, month_end(month).day + 1, trains))
    if month <= cal.CORRIDOR_START[service]:
        days[0] = first_day  # the first train leaves on the opening day
    minutes = r.integers(6 * 60, 22 * 60, trains)
    low = max(1, teu // trains - 12)
    teus = low + r.multinomial(teu - low * trains, np.full(trains, 1 / trains))
    prefix, home, far_ends = ROUTES[service]
    rows, seq = [], {}
    for day, minute, n_teu in sorted(zip(days.tolist(), minutes.tolist(), teus.tolist())):
        departure = datetime(month.year, month.month, day, minute // 60, minute % 60, tzinfo=CHINA_TIME)
        seq[day] = seq.get(day, 0) + 1
        direction = "outbound" if r.random() < 0.65 else "inbound"
        far = far_ends[r.integers(len(far_ends))]
        origin, destination = (home, far) if direction == "outbound" else (far, home)
        wagons = n_teu if service == "ILSTC_CROSS_BORDER_ROAD" else -(-n_teu // 2)  # trucks carry one box
        rows.append([f"{prefix}{departure:%Y%m%d}{seq[day]:02d}", service, departure.isoformat(), origin,
                     destination, direction, wagons, n_teu, int(round(n_teu * r.uniform(120_000, 380_000), -2)),
                     CARGO[direction][r.integers(len(CARGO[direction]))]])
    return rows


def write_trains(month: date, seed: int, out_dir: Path) -> Path | None:
    rows = [row for service in ROUTES for row in _trains(service, month, seed)]
    if not rows:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(sorted(rows, key=lambda row: (row[2], row[1])))
    vintage = cal.trains_vintage(month)
    return write_file(out_dir / "corridor_trains" / trains_name(month, vintage), buffer.getvalue().encode("utf-8"))


def corridor_months(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months
