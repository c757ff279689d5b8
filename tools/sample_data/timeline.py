"""The deterministic timeline: every customs period's values by flow, partner, trade mode
and commodity, with the revisions later vintages carry.

The timeline always starts in 2012 and runs to the end of the last year asked for, so a
period's values never depend on the range a run writes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from orchestration.periods import customs_period_bounds, customs_periods

from . import calibration as cal
from . import reference as ref

ORIGIN = date(2012, 1, 1)
LAST_PUBLISHED_YEAR = 2021


def rng(seed: int, *keys: object) -> np.random.Generator:
    """A random stream of its own for every (purpose, period, ...) so values are stable."""
    return np.random.default_rng([seed, *(zlib.crc32(str(k).encode()) for k in keys)])


def allocate(total: int, weights) -> np.ndarray:
    """Split a whole number in proportion to weights; the parts add up to it exactly."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = total * w / w.sum()
    parts = np.floor(exact).astype(np.int64)
    short = total - int(parts.sum())
    parts[np.argsort(-(exact - parts), kind="stable")[:short]] += 1
    return parts


@dataclass
class FlowData:
    """One flow of one period (or a sum of periods); money in 万元, USD in 万美元."""

    total: int = 0
    usd: int = 0
    partners: dict[str, int] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[int]] = field(default_factory=dict)  # name -> [quantity, value]
    hs: dict[str, int] = field(default_factory=dict)

    def add(self, other: FlowData) -> FlowData:
        self.total += other.total
        self.usd += other.usd
        for mine, theirs in ((self.partners, other.partners), (self.modes, other.modes), (self.hs, other.hs)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        for name, (qty, value) in other.items.items():
            acc = self.items.setdefault(name, [0, 0])
            acc[0] += qty
            acc[1] += value
        return self


@dataclass
class Version:
    released: date
    flows: dict[str, FlowData]
    corrected_bulletin: bool = False


@dataclass
class BulletinView:
    """What one bulletin shows: the period, its year to date, and the same a year earlier."""

    period: date
    vintage: date
    month: dict[str, FlowData]
    ytd: dict[str, FlowData]
    prior_month: dict[str, FlowData] | None
    prior_ytd: dict[str, FlowData] | None


class Timeline:
    def __init__(self, through: date, seed: int):
        self.seed = seed
        self.last = date(max(through.year, LAST_PUBLISHED_YEAR), 12, 1)
        self.periods = customs_periods(ORIGIN, self.last)
        self.world = self._world_totals()
        self.rates = {p: self._usd_rate(p) for p in self.periods}
        anchored = self._anchored_partners()
        self.versions: dict[date, list[Version]] = {}
        for p in self.periods:
            base = {f: self._flow(p, f, self.world[p][f], anchored[p][f]) for f in cal.FLOWS}
            self.versions[p] = [Version(cal.bulletin_vintage(p), base)]
        for rev in cal.REVISIONS:
            if rev.period in self.versions:
                flows = dict(self.versions[rev.period][0].flows)
                total = flows[rev.flow].total + rev.delta_wan
                flows[rev.flow] = self._flow(rev.period, rev.flow, total, anchored[rev.period][rev.flow])
                self.versions[rev.period].append(Version(rev.released, flows, rev.corrected_bulletin))

    # -- world totals ---------------------------------------------------------------
    def _world_totals(self) -> dict[date, dict[str, int]]:
        tenths: dict[date, dict[str, int]] = {}
        for year in range(ORIGIN.year, self.last.year + 1):
            tenths.update(self._year_tenths(year, tenths))
        world = {}
        for year in range(ORIGIN.year, self.last.year + 1):
            year_periods = [p for p in self.periods if p.year == year]
            for flow in cal.FLOWS:
                # A walk of cumulative offsets within +-120 万元 per flow: months and
                # year-to-date figures move by < 0.05 亿元 and keep their printed rounding.
                walk = rng(self.seed, "jitter", year, flow).integers(-120, 121, len(year_periods))
                steps = np.diff(np.concatenate([[0], walk]))
                for p, step in zip(year_periods, steps):
                    world.setdefault(p, {})[flow] = tenths[p][flow] * cal.WAN_PER_TENTH + int(step)
        return world

    def _year_tenths(self, year: int, earlier: dict[date, dict[str, int]]) -> dict[date, dict[str, int]]:
        periods = [p for p in self.periods if p.year == year]
        r = rng(self.seed, "world", year)
        if year in cal.ANNUAL:
            total_text, exports_text = cal.ANNUAL[year]
            weights = np.array(cal.SEASON) * r.uniform(0.96, 1.04, 12)
            if year == 2019:
                first_half = cal.tenths(cal.FIRST_HALF_2019)
                totals = np.concatenate([allocate(first_half, weights[:6]),
                                         allocate(cal.tenths(total_text) - first_half, weights[6:])])
            else:
                totals = allocate(cal.tenths(total_text), weights)
            exports = allocate(cal.tenths(exports_text), totals * r.uniform(0.97, 1.03, 12))
        elif year in cal.PERIOD_TOTALS:
            totals = np.array([cal.tenths(cal.PERIOD_TOTALS[year][p.month]) for p in periods])
            jan_nov, december = (cal.tenths(v) for v in cal.EXPORT_SPANS[year])
            share = totals * r.uniform(0.97, 1.03, len(periods))
            exports = np.concatenate([allocate(jan_nov, share[:-1]), [december]])
        else:  # synthetic continuation: the same period a year earlier, grown
            growth = r.uniform(1.02, 1.09, 2)
            prior = [earlier[date(year - 1, p.month, 1)] for p in periods]
            noise = r.uniform(0.98, 1.02, (len(periods), 2))
            exports = np.array([round(q["exports"] * growth[0] * n[0]) for q, n in zip(prior, noise)])
            totals = exports + np.array([round(q["imports"] * growth[1] * n[1]) for q, n in zip(prior, noise)])
        assert (exports > 0).all() and (totals - exports > 0).all()
        return {p: {"exports": int(e), "imports": int(t - e)} for p, t, e in zip(periods, totals, exports)}

    def _usd_rate(self, period: date) -> float:
        if period in cal.PINNED_USD_MILLIONS:
            total = sum(self.world[period].values())
            return total / (cal.PINNED_USD_MILLIONS[period] * 100)
        points = cal.USD_RATE_POINTS
        year = min(max(period.year, min(points)), max(points) - 1)
        start, end = points[year], points[year + 1]
        return start + (end - start) * (period.month - 1) / 12

    # -- partners pinned to published figures ------------------------------------------
    def _spans(self, year: int) -> tuple[list[date], list[date]]:
        periods = [p for p in self.periods if p.year == year]
        return periods[:-1], periods[-1:]

    def _block_spans(self, block: str, year: int, flow: str) -> tuple[int, int]:
        """A block's (January-November, December) value in 万元."""
        jan_nov, december = self._spans(year)
        world_jn = sum(self.world[p][flow] for p in jan_nov)
        world_dec = self.world[december[0]][flow]
        spec = cal.BLOCK_TARGETS[block].get(year)
        if spec is None:  # synthetic year: the block keeps its share of the nearest given year
            ref_year = min(max(year, 2017), LAST_PUBLISHED_YEAR)
            ref_jn, ref_dec = self._block_spans(block, ref_year, flow)
            ref_world = sum(self.world[p][flow] for p in self.periods if p.year == ref_year)
            value = round((ref_jn + ref_dec) * (world_jn + world_dec) / ref_world)
            jn = round(value * world_jn / (world_jn + world_dec))
            return jn, value - jn
        target = spec[flow]
        if isinstance(target, tuple):
            jn, dec = (cal.tenths(v) * cal.WAN_PER_TENTH for v in target)
        else:
            value = cal.tenths(target) * cal.WAN_PER_TENTH
            jn = round(value * world_jn / (world_jn + world_dec))
            dec = value - jn
        jitter = rng(self.seed, "block", block, year, flow).integers(-100, 101, 2)
        return jn + int(jitter[0]), dec + int(jitter[1])

    def _anchored_partners(self) -> dict[date, dict[str, dict[str, int]]]:
        out: dict[date, dict[str, dict[str, int]]] = {p: {f: {} for f in cal.FLOWS} for p in self.periods}
        for year in range(ORIGIN.year, self.last.year + 1):
            spans = self._spans(year)
            for block, members in cal.BLOCK_MEMBERS.items():
                cells = {f: self._block_spans(block, year, f) for f in cal.FLOWS}
                fixed = self._fixed_members(year, members, cells)
                r = rng(self.seed, "members", block, year)
                free = [m for m in members if m not in fixed]
                weights = np.array([members[m] for m in free]) * r.uniform(0.95, 1.05, len(free))
                for flow in cal.FLOWS:
                    for s, span in enumerate(spans):
                        rest = cells[flow][s] - sum(fixed[m][flow][s] for m in fixed)
                        values = dict(zip(free, allocate(rest, weights)))
                        values.update({m: fixed[m][flow][s] for m in fixed})
                        for member, value in values.items():
                            noise = rng(self.seed, "months", member, year, flow, s).uniform(0.92, 1.08, len(span))
                            monthly = allocate(int(value), np.array([self.world[p][flow] for p in span]) * noise)
                            for p, v in zip(span, monthly):
                                out[p][flow][member] = int(v)
        return out

    def _fixed_members(self, year, members, cells) -> dict[str, dict[str, tuple[int, int]]]:
        """Published member totals, split by flow and into January-November and December."""
        if year != 2020:
            return {}
        fixed = {}
        for member, (total_text, export_share) in cal.MEMBER_TOTALS_2020.items():
            if member not in members:
                continue
            total = cal.tenths(total_text) * cal.WAN_PER_TENTH
            by_flow = {"exports": round(total * export_share)}
            by_flow["imports"] = total - by_flow["exports"]
            fixed[member] = {}
            for flow, value in by_flow.items():
                jn = round(value * cells[flow][0] / sum(cells[flow]))
                fixed[member][flow] = (jn, value - jn)
        return fixed

    # -- one flow of one period -------------------------------------------------------
    def _flow(self, period: date, flow: str, total: int, anchored: dict[str, int]) -> FlowData:
        r = rng(self.seed, "flow", period, flow)
        residual_weights = cal.RESIDUAL_WEIGHTS[flow]
        residual = total - sum(anchored.values())
        assert residual > 0, (period, flow, residual)
        noise = r.uniform(0.9, 1.1, len(residual_weights))
        partners = dict(anchored)
        partners.update(zip(residual_weights, (int(v) for v in allocate(residual, np.array(list(residual_weights.values())) * noise))))

        modes_spec = cal.TRADE_MODE_SHARES[flow]
        mode_values = allocate(total, np.array(list(modes_spec.values())) * r.uniform(0.92, 1.08, len(modes_spec)))
        modes = dict(zip(modes_spec, (int(v) for v in mode_values)))

        items, hs = self._items(r, flow, total)
        usd = round(total / self.rates[period])
        return FlowData(total, usd, partners, modes, items, hs)

    @staticmethod
    def _items(r: np.random.Generator, flow: str, total: int):
        items: dict[str, list[int]] = {}
        hs: dict[str, int] = {}
        hs_qty: dict[str, int] = {}
        listed = 0
        for name, item in cal.ITEMS[flow].items():
            if not item.hs_weights:  # overlapping aggregate: a share of the flow, never added
                items[name] = [0, round(total * item.share * r.uniform(0.98, 1.02))]
                continue
            value = round(total * item.share * r.uniform(0.95, 1.05))
            listed += value
            codes = [c for c, _ in item.hs_weights]
            parts = allocate(value, np.array([w for _, w in item.hs_weights]) * r.uniform(0.9, 1.1, len(codes)))
            for code, part in zip(codes, parts):
                hs[code] = int(part)
                hs_qty[code] = round(part / item.price_wan * r.uniform(0.97, 1.03)) if item.price_wan else 0
            items[name] = [sum(hs_qty[c] for c in codes), value]
        for row in ref.commodities(flow):
            if row.parent:  # a `其中：` row: the parent's HS codes that it covers
                codes = [c for c, _ in cal.ITEMS[flow][row.parent].hs_weights if row.covers(c)]
                items[row.name_zh] = [sum(hs_qty[c] for c in codes), sum(hs[c] for c in codes)]
        unlisted = cal.UNLISTED_HS[flow]
        for (code, _), part in zip(unlisted, allocate(total - listed, [w for _, w in unlisted])):
            hs[code] = int(part)
        return items, hs

    # -- views ------------------------------------------------------------------------
    def as_of(self, period: date, vintage: date) -> Version:
        versions = [v for v in self.versions[period] if v.released <= vintage]
        return versions[-1]

    def _sum(self, periods: list[date], vintage: date) -> dict[str, FlowData] | None:
        if not periods:
            return None
        acc = {f: FlowData() for f in cal.FLOWS}
        for p in periods:
            version = self.as_of(p, vintage)
            for f in cal.FLOWS:
                acc[f].add(version.flows[f])
        return acc

    def view(self, period: date, vintage: date) -> BulletinView:
        start, _ = customs_period_bounds(period)
        prior_year = [p for p in self.periods if p.year == period.year - 1]
        prior_month = [p for p in prior_year if start.month <= p.month <= period.month]
        prior_ytd = [p for p in prior_year if p.month <= period.month]
        return BulletinView(
            period,
            vintage,
            {f: self.as_of(period, vintage).flows[f] for f in cal.FLOWS},
            self._sum([p for p in self.periods if p.year == period.year and p <= period], vintage),
            self._sum(prior_month, vintage),
            self._sum(prior_ytd, vintage),
        )

    def bulletin_releases(self, period: date) -> list[date]:
        """Vintages of the bulletin files for a period: the first and any corrected ones."""
        return [v.released for i, v in enumerate(self.versions[period]) if i == 0 or v.corrected_bulletin]

