"""Shared test set-up: the --run-slow switch, the project's environment, and the sample
chain that the end-to-end suites share."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.support.chain import ChainFolder, build_sample_chain
from tools.sample_data import generate

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run the suites marked slow")
    parser.addoption("--run-soak", action="store_true", help="also run the suites marked soak")
    parser.addoption("--run-spark", action="store_true", help="also run the suites marked spark (make spark)")


def pytest_collection_modifyitems(config, items):
    skips = {
        "slow": pytest.mark.skip(reason="slow suite: run with --run-slow (CI does)"),
        "soak": pytest.mark.skip(reason="soak suite: run with --run-soak (not in CI)"),
        "spark": pytest.mark.skip(reason="Spark suite: run with --run-spark (make spark installs Spark and does)"),
    }
    for item in items:
        for marker, skip in skips.items():
            if marker in item.keywords and not config.getoption(f"--run-{marker}"):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def own_lake(tmp_path) -> Path:
    """A raw lake of each test's own: a warehouse a test makes never reads or sweeps the
    repository's data/lake, nor another test's. Set apart from the test's own monkeypatch,
    which a test may undo."""
    lake = tmp_path / "lake"
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("WAREHOUSE_LAKE", str(lake))
        yield lake


@pytest.fixture
def warehouse_path(tmp_path) -> Path:
    """The test's own warehouse file."""
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def con(warehouse_path):
    """A connection to the test's own warehouse file, closed after the test."""
    with duckdb.connect(str(warehouse_path)) as connection:
        yield connection


@pytest.fixture(scope="session")
def sample_chain(tmp_path_factory) -> ChainFolder:
    """The whole chain run once on the shipped sample (generator, `refresh`, publish), for
    the tests that only read what it built. A test that changes it takes a copy."""
    return build_sample_chain(tmp_path_factory.mktemp("sample_chain"))


@pytest.fixture
def sample_chain_copy(sample_chain, tmp_path) -> ChainFolder:
    """A folder of its own holding what the sample chain built (landing zone, warehouse,
    publication, Dagster instance), for a test that runs more of the chain on it."""
    copy = ChainFolder(tmp_path / "sample_chain")
    shutil.copytree(sample_chain.root, copy.root, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def published_sample(sample_chain) -> Path:
    """The sample chain's published folder (trade.duckdb, publication table and all)."""
    return sample_chain.published


@pytest.fixture(scope="session")
def two_month_sample(tmp_path_factory) -> Path:
    """Generated files for 2021-10 and 2021-11 (200 detail rows an extract), which the fault
    suites copy into a chain of their own and never change."""
    out = tmp_path_factory.mktemp("two_month_sample")
    generate(out, first=date(2021, 10, 1), through=date(2021, 11, 1), detail_rows=200)
    return out


@pytest.fixture(scope="session")
def november_sample(tmp_path_factory) -> Path:
    """Generated files for 2021-11 alone (every vintage, 200 detail rows an extract), which
    the door suites copy into a landing zone of their own and never change."""
    out = tmp_path_factory.mktemp("november_sample")
    generate(out, first=date(2021, 11, 1), through=date(2021, 11, 1), detail_rows=200)
    return out
