"""The asset graph as the Dagster UI serves it, and stopping the UI.

`python -m orchestration.cli ui` (what `make ui` runs) is started on a free port with an
empty temporary instance; the graph is read through the webserver's GraphQL API, the
same data the UI draws. Expected lineage comes from the layer order of the README, the
expected checks from the dbt manifest.
"""

from __future__ import annotations

import json
import signal
from collections import deque

import pytest

from orchestration.feeds import FEEDS
from tests.support.chain import REPO, ChainFolder
from tests.support.ui_helpers import command_line, graphql, loaded, start_ui

pytestmark = pytest.mark.slow

LAYERS = ("landing", "raw", "staging", "intermediate", "marts", "published")
GROUPS = {"landing", "raw", "reference", "staging", "intermediate", "marts", "published"}
PUBLICATIONS = ("published/marts", "published/monthly_bulletin")

ASSET_NODES = """
{
  assetNodes {
    assetKey { path }
    dependencyKeys { path }
    groupName
    isMaterializable
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
}
"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    folder = ChainFolder(tmp_path_factory.mktemp("ui_graph"))
    folder.prepare()
    with loaded(start_ui(folder.env, folder.root / "ui.log")) as running:
        yield running


@pytest.fixture(scope="module")
def nodes(ui) -> dict[str, dict]:
    data = graphql(ui.port, ASSET_NODES)["assetNodes"]
    return {"/".join(node["assetKey"]["path"]): node for node in data}


def upstream(node: dict) -> list[str]:
    return ["/".join(key["path"]) for key in node["dependencyKeys"]]


def layered_path(nodes: dict[str, dict], start: str, end: str) -> list[str] | None:
    """A path start -> end that moves one layer at a time in LAYERS order, or None."""
    downstream: dict[str, list[str]] = {}
    for key, node in nodes.items():
        for parent in upstream(node):
            downstream.setdefault(parent, []).append(key)
    layer = {key: LAYERS.index(node["groupName"]) for key, node in nodes.items() if node["groupName"] in LAYERS}
    previous = {start: None}
    queue = deque([start])
    while queue:
        key = queue.popleft()
        if key == end:
            path = []
            while key is not None:
                path.append(key)
                key = previous[key]
            return path[::-1]
        for child in downstream.get(key, []):
            if child not in previous and child in layer and layer[child] - layer[key] in (0, 1):
                previous[child] = key
                queue.append(child)
    return None


@pytest.mark.parametrize("publication", PUBLICATIONS)
@pytest.mark.parametrize("feed", FEEDS)
def test_every_feed_reaches_every_publication_through_every_layer(nodes, feed, publication):
    path = layered_path(nodes, f"landing/{feed}", publication)
    assert path is not None, f"no landing/{feed} -> raw -> staging -> intermediate -> marts -> {publication}"
    assert {nodes[key]["groupName"] for key in path} == set(LAYERS)


def test_no_dependency_is_left_undefined(nodes):
    undefined = {(key, parent) for key, node in nodes.items() for parent in upstream(node) if parent not in nodes}
    assert not undefined


def test_every_raw_table_dbt_reads_is_loaded_from_a_landing_feed(nodes):
    staging_sources = {
        parent
        for node in nodes.values()
        if node["groupName"] == "staging"
        for parent in upstream(node)
        if parent.startswith("raw/")
    }
    assert staging_sources, "no staging model reads a raw table"
    for source in staging_sources:
        assert any(layered_path(nodes, f"landing/{feed}", source) for feed in FEEDS), source
        loaders = [source] if nodes[source]["isMaterializable"] else upstream(nodes[source])
        assert loaders and all(nodes[loader]["isMaterializable"] for loader in loaders), source


def test_groups_follow_the_layers(nodes):
    assert {node["groupName"] for node in nodes.values()} == GROUPS
    misplaced = {key for key, node in nodes.items() if key.split("/")[0] != node["groupName"]}
    assert not misplaced


def test_dbt_tests_appear_as_asset_checks(nodes):
    manifest = json.loads((REPO / "target" / "manifest.json").read_text())
    model_names = {key.split("/")[-1]: key for key in nodes}
    expected, source_tests = set(), set()
    for test in manifest["nodes"].values():
        if test["resource_type"] == "test" and test.get("attached_node"):
            attached = manifest["nodes"][test["attached_node"]]["name"]
            expected.add((model_names[attached], test["name"]))
        sources = [node for node in test.get("depends_on", {}).get("nodes", []) if node.startswith("source.")]
        if test["resource_type"] == "test" and len(sources) == 1:
            # A source's tests are checks on the raw asset that loads it.
            raw_asset = "/".join(manifest["sources"][sources[0]]["meta"]["dagster"]["asset_key"])
            source_tests.add((raw_asset, test["name"]))
    assert source_tests
    expected |= source_tests
    shown = {
        (key, check["name"])
        for key, node in nodes.items()
        for check in node["assetChecksOrError"].get("checks", [])
    }
    assert len(expected) > 50
    assert expected <= shown, sorted(expected - shown)[:10]


def test_sigterm_stops_every_process_of_the_ui(ui):
    processes = ui.processes()
    commands = " ".join(command_line(pid) for pid in processes)
    assert "dagster_webserver" in commands and "dagster._daemon" in commands, commands
    assert "grpc" in commands, commands  # the code server
    survivors = ui.stop(signal.SIGTERM)
    assert not survivors, {pid: command_line(pid) for pid in survivors}
    assert ui.process.returncode == 0, ui.log_tail()
