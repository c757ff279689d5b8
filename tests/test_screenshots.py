"""Screenshots with headless Chromium: the asset graph in the Dagster UI, and the bulletin.

The session's chain run on the sample (conftest.py) is shared: the UI then shows a real run,
and the bulletin is the HTML that run published. Screenshots go to test-artifacts/ (not
committed); docs/images/ holds copies chosen by hand from there.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.support.chain import REPO
from tests.support.screenshots import CHROMIUM, CHROMIUM_FLAGS, MAX_PNG_BYTES, assert_looks_like_a_page
from tests.support.ui_helpers import graphql, loaded, start_webserver

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "test-artifacts"
# The UI draws the graph after several GraphQL round trips and a layout pass.
UI_RENDER_BUDGET_MS = 15000


def chromium(tmp_path: Path, url: str, *flags: str) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)  # a new, empty profile each time
    return subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags, url],
        capture_output=True, text=True, timeout=120,
    )


def screenshot(tmp_path: Path, url: str, name: str, window: str, budget_ms: int) -> tuple[Path, str]:
    """Renders ``url`` into test-artifacts/``name``; returns the PNG and Chromium's log."""
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / name
    png.unlink(missing_ok=True)
    done = chromium(
        tmp_path, url, f"--screenshot={png}", f"--window-size={window}", f"--virtual-time-budget={budget_ms}"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert png.exists(), done.stderr[-3000:]
    return png, done.stderr


def page_errors(log: str) -> list[str]:
    """Console output and uncaught exceptions of the page, from Chromium's log."""
    return [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def chain(sample_chain):
    return sample_chain


@pytest.fixture(scope="module")
def webserver(chain):
    with loaded(start_webserver(chain.env, chain.root / "webserver.log")) as running:
        yield running


def test_asset_graph(chain, webserver, tmp_path):
    published = graphql(
        webserver.port,
        '{ assetNodes(assetKeys: [{path: ["published", "marts"]}]) { assetMaterializations(limit: 1) { runId } } }',
    )["assetNodes"]
    assert published[0]["assetMaterializations"], "the chain's run is not in the instance the UI shows"

    url = f"{webserver.url}/asset-groups"  # the "Global asset lineage" page
    budget = f"--virtual-time-budget={UI_RENDER_BUDGET_MS}"
    dom = chromium(tmp_path, url, "--dump-dom", "--window-size=1600,1000", budget)
    assert dom.returncode == 0, dom.stderr[-3000:]
    assert "Global asset lineage" in dom.stdout
    assert "Join the Dagster community" not in dom.stdout, "the pop-up would cover the graph (nux in dagster.yaml)"
    for group in ("landing", "raw", "staging", "intermediate", "marts", "published"):
        assert f">{group}<" in dom.stdout, f"group {group} not drawn"

    png, _ = screenshot(tmp_path, url, "asset-graph.png", "1600,1000", UI_RENDER_BUDGET_MS)
    assert_looks_like_a_page(png, 1600, 1000)


def test_bulletin(chain, tmp_path):
    html = chain.published / "bulletin" / "bulletin-2021-11.html"
    assert html.exists(), sorted(p.name for p in (chain.published / "bulletin").iterdir())
    # Tall enough for the text, the key figures and the charts under them.
    png, log = screenshot(tmp_path, html.as_uri(), "bulletin.png", "1280,2750", 5000)
    assert not page_errors(log), page_errors(log)
    assert_looks_like_a_page(png, 1280, 2750)


def test_page_errors_are_caught(tmp_path):
    """The console scan works: a page that throws is reported."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><h1>broken</h1><script>missingFunction();</script></body></html>")
    done = chromium(tmp_path, page.as_uri(), "--dump-dom", "--virtual-time-budget=2000")
    assert done.returncode == 0, done.stderr[-3000:]
    assert any("Uncaught ReferenceError" in line for line in page_errors(done.stderr)), done.stderr[-3000:]


def test_committed_screenshots_are_small():
    for name in ("asset-graph.png", "bulletin.png"):
        png = REPO / "docs" / "images" / name
        assert png.exists(), f"docs/images/{name} missing (copy it from test-artifacts/)"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size < MAX_PNG_BYTES, png.stat().st_size
