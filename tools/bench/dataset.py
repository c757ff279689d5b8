"""The benchmark's data set: generated once per set of parameters, reused afterwards.

``<folder>/params.json`` is written only when the generator finished, so an interrupted
generation is redone, and a folder holding other parameters is wiped and regenerated.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from orchestration.parsing.detail_extract import SOURCE_ENCODING
from tools.sample_data.generator import DEFAULT_SEED

PARAMS_FILE = "params.json"


@dataclass(frozen=True)
class DatasetParams:
    first: str  # YYYY-MM
    through: str
    detail_rows: int
    seed: int = DEFAULT_SEED


def ensure_dataset(folder: Path, params: DatasetParams, log) -> Path:
    """The landing zone of ``params`` under ``folder``; generated unless already there."""
    landing = folder / "landing"
    marker = folder / PARAMS_FILE
    if marker.exists() and json.loads(marker.read_text()) == asdict(params):
        log(f"data set: reusing {landing} ({params})")
        return landing
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    log(f"data set: generating {params} into {landing}")
    generate_landing(landing, params, only_from=None)
    marker.write_text(json.dumps(asdict(params)))
    return landing


def generate_landing(out: Path, params: DatasetParams, only_from: str | None) -> None:
    """Run the generator's CLI (it prints its progress on stderr)."""
    args = [sys.executable, "-m", "tools.sample_data", "--out", str(out), "--from", params.first,
            "--through", params.through, "--detail-rows", str(params.detail_rows), "--seed", str(params.seed)]
    if only_from:
        args += ["--only-from", only_from]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def data_lines(path: Path) -> int:
    """Records of a detail file: its lines less the header (every line ends in CRLF)."""
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            count += chunk.count(b"\n")
    return count - 1


def ingest_sample(landing: Path, min_rows: int) -> tuple[list[Path], int]:
    """The latest detail files holding at least ``min_rows`` rows (all files if 0 or fewer)."""
    chosen, rows = [], 0
    for path in sorted((landing / "customs_detail").glob("*.csv"), reverse=True):
        if min_rows and rows >= min_rows:
            break
        chosen.append(path)
        rows += data_lines(path)
    return sorted(chosen), rows


def utf8_copies(files: list[Path], folder: Path) -> list[Path]:
    """The baseline's input: the same files as plain UTF-8, transcoded up front (kept for reuse)."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in files:
        copy = folder / path.name
        if not copy.exists():
            partial = copy.with_name(copy.name + ".part")
            partial.write_bytes(path.read_bytes().decode(SOURCE_ENCODING).encode("utf-8"))
            partial.rename(copy)
        copies.append(copy)
    return copies
