"""CLI: python -m tools.sample_data --out data/landing [--from 2017-01] [--through 2021-11] ..."""

from __future__ import annotations

import argparse

from orchestration.periods import parse_month

from .generator import DEFAULT_DETAIL_ROWS, DEFAULT_SEED, generate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.sample_data",
                                     description="Generate calibrated sample landing files.")
    parser.add_argument("--out", default="data/landing", help="landing root (default data/landing)")
    parser.add_argument("--from", dest="first", type=parse_month, default=parse_month("2017-01"),
                        help="first period YYYY-MM (default 2017-01)")
    parser.add_argument("--through", type=parse_month, default=parse_month("2021-11"),
                        help="last period YYYY-MM (default 2021-11; later months are synthetic)")
    parser.add_argument("--only-from", type=parse_month, default=None,
                        help="write only periods from this month on (the timeline is the same)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--detail-rows", type=int, default=DEFAULT_DETAIL_ROWS,
                        help=f"approximate rows per detail file (default {DEFAULT_DETAIL_ROWS})")
    args = parser.parse_args(argv)
    files = generate(args.out, args.first, args.through, args.only_from, args.seed, args.detail_rows,
                     progress=True)
    print(f"{len(files)} files written under {args.out}")


if __name__ == "__main__":
    main()
