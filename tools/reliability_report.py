"""`make reliability`: run every bad-input, fault-injection, publication and load suite and
write docs/reliability.md from what they report.

The suites run with pytest (``--run-slow``) in a subprocess, writing JUnit XML; each fault
test names its fault and the load suite adds its counts (files processed, correction runs,
reader queries and errors) as test properties.
Nothing in the document is typed by hand: every number comes from this run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchestration.ingest import landing_guard
from orchestration.settings import REPO_ROOT

@dataclass(frozen=True)
class Suite:
    path: str
    what: str  # the summary row: what its tests try
    asserts: str  # what every test of it asserts


SUITES = {
    "bad_input": Suite(
        "tests/test_bad_input.py",
        "bad inputs tried and refused (or left alone) with the right reason",
        "the reason code and its words, no row of the file in raw, the file moved to the quarantine "
        "(or, for names matching no feed and paths outside the landing zone, left alone and never "
        "opened), the good files beside it still loaded, and, through a Python audit hook, nothing "
        "outside `landing/` and `quarantine/` opened, moved or written. Its slow test refreshes a "
        "month whose files used to block publication, then another month, and both publish.",
    ),
    "landing_faults": Suite(
        "tests/test_landing_faults.py",
        "files and folders faulted at the door (being written, vanishing, rewritten, unreadable, "
        "oversized; a quarantine or landing path that cannot be used)",
        "the message, exactly one audit row per event (none more on a retry), the recorded SHA-256 "
        "that of the bytes loaded, nothing lost, and the other files still loaded.",
    ),
    "landing_refresh": Suite(
        "tests/test_landing_refresh.py",
        "`refresh` beside a producer, another refresh or the daemon; a full Dagster home; a 2 GiB "
        "one-line extract",
        "through the real `refresh` command: a file its producer still writes (or abandoned "
        "half-written) is never quarantined under it; two writers take turns through the writer "
        "lock and every loaded month is published; a full Dagster home stops the run with a message "
        "and the next one publishes; the 2 GiB extract is refused in bounded time and memory.",
    ),
    "stale_publication": Suite(
        "tests/test_stale_publication.py",
        "refreshes that could not publish: the last good marts republished stale, later months fresh",
        "an extract and the bulletin loaded after it disagree beyond the contract's 0.1 percent: the "
        "refresh of their month republishes the last good marts marked stale, the reason names the "
        "failing check, both files, their vintages and the bulletin's sheet and row, the bulletin "
        "and the freshness check say so; the next month's refresh publishes fresh marts.",
    ),
    "faults": Suite(
        "tests/test_faults.py",
        "faults injected and survived",
        "after the fault, the next run publishes marts identical to an undisturbed build of the same "
        "files (per table: rows, distinct rows and an order-free hash of every column), every landing "
        "file has exactly one audit row with a final status, no staged publication is left, no run "
        "is left started and no concurrency slot is held. After the daemon's kill, the instance shows "
        "the dead run failed and its retry.",
    ),
    "load": Suite(
        "tests/test_stress_concurrent_load.py",
        "files loaded under load, each exactly once (sample + corrections)",
        "the 2017-2021 sample refreshed at once; then, with the UI and daemon running, ten corrected "
        "vintages (several of the same month, a December among them) land half a second apart while "
        "three reader processes query the published DuckDB file and Parquet set in a loop. Every file "
        "has exactly one audit row, the latest vintage of each corrected month is loaded and every "
        "older one superseded, the marts equal a clean build of the same files, and no reader saw an "
        "error.",
    ),
}
# The suites with a summary row of their own below; the others get one row each.
COUNTED_APART = ("faults", "load")
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "reliability.md"
JUNIT_OUTPUT = REPO_ROOT / "target" / "reliability-junit.xml"


@dataclass
class Case:
    suite: str
    name: str
    outcome: str  # passed | failed | skipped
    seconds: float
    message: str = ""
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """'test_file_name_matching_no_feed_is_left_alone[..x.xlsx]' -> readable words."""
        base, _, param = self.name.partition("[")
        words = base.removeprefix("test_").replace("_", " ")
        return f"{words}: {param.rstrip(']')}" if param else words


def run_suites(junit: Path, extra_args: list[str]) -> tuple[int, float]:
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "-q", "--run-slow", "-p", "no:cacheprovider",
               f"--junitxml={junit}", "-o", "junit_family=xunit1", *(suite.path for suite in SUITES.values()),
               *extra_args]
    returncode = subprocess.call(command, cwd=REPO_ROOT)
    return returncode, time.monotonic() - started


def read_junit(junit: Path) -> list[Case]:
    suite_of = {Path(suite.path).stem.removeprefix("test_"): name for name, suite in SUITES.items()}
    cases = []
    for element in ElementTree.parse(junit).getroot().iter("testcase"):
        if not element.get("name"):
            continue  # the placeholder pytest writes for an interrupted session
        module = element.get("classname", "").rsplit(".", 1)[-1].removeprefix("test_")
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = element.find(kind)
            if found is not None:
                outcome = "skipped" if kind == "skipped" else "failed"
                message = (found.get("message") or "").splitlines()[0][:200] if found.get("message") else kind
        properties = {p.get("name"): p.get("value") for p in element.iter("property")}
        cases.append(Case(suite_of.get(module, module), element.get("name", ""), outcome,
                          float(element.get("time") or 0), message, properties))
    return cases


def _count(cases: list[Case], suite: str) -> tuple[int, int]:
    mine = [c for c in cases if c.suite == suite and c.outcome != "skipped"]
    return sum(c.outcome == "passed" for c in mine), len(mine)


def _cell(text: str) -> str:
    return text.replace("|", "/")


def render(cases: list[Case], returncode: int, seconds: float, source: str = "a run of every suite") -> str:
    faults = [c for c in cases if c.suite == "faults" and "fault" in c.properties and c.outcome != "skipped"]
    load = next((c for c in cases if c.suite == "load" and c.outcome != "skipped"), None)
    load_props = load.properties if load else {}
    load_passed = "yes" if load and load.outcome == "passed" else "no"
    by_suite = {suite: sum(c.seconds for c in cases if c.suite == suite) for suite in SUITES}
    suite_rows = []
    for name, suite in SUITES.items():
        if name not in COUNTED_APART:
            passed, tried = _count(cases, name)
            suite_rows.append(f"| {_cell(suite.what)} | {tried} | {passed} | {_duration(by_suite[name])} |")
    lines = [
        "# Reliability",
        "",
        "Generated by `make reliability` (`python -m tools.reliability_report`) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC from {source}; do not edit by hand. The suites: "
        + ", ".join(f"`{suite.path}`" for suite in SUITES.values())
        + ", run with `--run-slow` as CI runs them.",
        "",
        f"Result: **{'all passed' if returncode == 0 else f'FAILURES (pytest exit code {returncode})'}**, "
        f"{len(cases)} tests in {seconds / 60:.1f} min.",
        "",
        "| what | tried | survived / correct | time |",
        "|---|---:|---:|---:|",
        f"| {SUITES['faults'].what} | {len(faults)} | {sum(c.outcome == 'passed' for c in faults)} | "
        f"{_duration(by_suite['faults'])} |",
        *suite_rows,
        f"| {SUITES['load'].what} | "
        f"{load_props.get('files_processed', '-')} | {load_passed} | {_duration(by_suite['load'])} |",
        f"| corrected vintages landed a moment apart, taken by the daemon in this many runs | "
        f"{load_props.get('corrections', '-')} | {_runs(load_props.get('correction_runs', '-'))}, "
        f"{load_props.get('corrections_seconds', '-')} s | |",
        f"| reader queries during the load (3 concurrent reader processes) / reader errors | "
        f"{load_props.get('reader_queries', '-')} | {load_props.get('reader_errors', '-')} errors | |",
        "",
        *[f"Not in this report (not run, or interrupted before pytest could report): `{suite.path}`."
          for name, suite in SUITES.items() if not any(c.suite == name for c in cases)],
        "",
        "## Faults",
        "",
        "| fault | survived | seconds |",
        "|---|---|---:|",
        *[f"| {_cell(c.properties['fault'])} | "
          f"{'yes' if c.outcome == 'passed' else _cell('NO: ' + c.message)} | {c.seconds:.0f} |" for c in faults],
        "",
        "## What every scenario asserts",
        "",
        *[f"- **`{suite.path}`:** {suite.asserts}" for suite in SUITES.values()],
        "",
        "## Safety limits before parsing (`orchestration/ingest/landing_guard.py`)",
        "",
        f"- Workbook: at most {landing_guard.MAX_WORKBOOK_UNCOMPRESSED_BYTES:,} bytes uncompressed in total, "
        f"a compression ratio of at most {landing_guard.MAX_MEMBER_COMPRESSION_RATIO} per member and "
        f"{landing_guard.MAX_WORKBOOK_MEMBERS} members (reason `oversized`), checked from the zip's "
        "directory before openpyxl opens it; not a zip: `unreadable`.",
        "- Symbolic links are never followed (reason `unsafe_file`; the link itself is quarantined); "
        "paths whose folder is not a feed folder of the landing zone and names matching no feed are "
        "left alone unread (`skipped`).",
        "- Numbers must be plain ASCII digits: thousands separators, `1_000` and full-width digits are "
        "refused as `bad_value` naming the cell or line, never guessed.",
        "",
        "## Every test",
        "",
        "| suite | test | result | seconds |",
        "|---|---|---|---:|",
    ]
    for case in sorted(cases, key=lambda c: (list(SUITES).index(c.suite) if c.suite in SUITES else 9, c.name)):
        result = case.outcome + (f": {case.message}" if case.outcome == "failed" else "")
        lines.append(f"| {case.suite} | {_cell(case.label)} | {_cell(result)} | {case.seconds:.1f} |")
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _runs(count: str) -> str:
    return f"{count} run" if count == "1" else f"{count} runs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools.reliability_report", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--from-junit", type=Path, nargs="+", metavar="XML",
                        help="render from JUnit XML files of an earlier run (xunit1, e.g. CI's) instead of running")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, e.g. -k daemon")
    args = parser.parse_args(argv)
    if args.from_junit:
        cases = [case for path in args.from_junit for case in read_junit(path)]
        failed = any(case.outcome == "failed" for case in cases)
        source = "the JUnit reports " + ", ".join(f"`{path.name}`" for path in args.from_junit)
        args.output.write_text(render(cases, int(failed), sum(c.seconds for c in cases), source), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
        return int(failed)
    # Kept (target/ is not versioned): the report can be rendered again with --from-junit.
    JUNIT_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    JUNIT_OUTPUT.unlink(missing_ok=True)
    returncode, seconds = run_suites(JUNIT_OUTPUT, args.pytest_args)
    if not JUNIT_OUTPUT.exists():
        print("pytest wrote no report", file=sys.stderr)
        return returncode or 1
    cases = read_junit(JUNIT_OUTPUT)
    args.output.write_text(render(cases, returncode, seconds), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
