"""Shared test set-up: the --run-slow switch and the project's environment."""

from __future__ import annotations

import os

import pytest

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run the suites marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow suite: run with --run-slow (CI does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
