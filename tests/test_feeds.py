"""The feed registry is the one list of feeds: what else must agree with it."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from orchestration.feeds import FEEDS, all_raw_tables
from orchestration.ingest.assets import load_audit_spec, raw_assets
from orchestration.parsing.landing_names import parse_landing_name
from orchestration.settings import REPO_ROOT
from tools.sample_data.bulletin_writer import bulletin_name
from tools.sample_data.detail_writer import detail_name
from tools.sample_data.trains_writer import trains_name


def dbt_raw_sources() -> set[str]:
    """The raw tables the dbt sources declare (dbt's yml cannot read the registry)."""
    tables = set()
    for path in (REPO_ROOT / "dbt_project" / "models").rglob("_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if source.get("schema") == "raw":
                tables |= {table["name"] for table in source["tables"]}
    return tables


def test_dbt_sources_declare_exactly_the_registry_raw_tables_and_the_audit():
    assert dbt_raw_sources() == {*all_raw_tables(), "load_audit"}


def test_raw_assets_write_the_registry_tables_one_asset_per_feed():
    assert [asset.op.name for asset in raw_assets] == [f"load_{feed}" for feed in FEEDS]
    keys = [key.path[-1] for asset in raw_assets for key in asset.keys]
    assert sorted(keys) == sorted(all_raw_tables())
    assert {dep.asset_key.path[-1] for dep in load_audit_spec.deps} == set(all_raw_tables())


@pytest.mark.parametrize(
    ("feed", "name", "flow"),
    [
        ("customs_bulletin", bulletin_name(date(2021, 11, 1), date(2021, 12, 20)), None),
        ("customs_detail", detail_name(date(2021, 11, 1), "exports", date(2021, 12, 24)), "exports"),
        ("corridor_trains", trains_name(date(2021, 11, 1), date(2021, 12, 3)), None),
    ],
)
def test_the_producers_names_match_the_registry_pattern_of_their_feed(feed, name, flow):
    parsed = parse_landing_name(feed, name)
    assert (parsed.reference_month, parsed.flow) == (date(2021, 11, 1), flow)
    others = [other for other in FEEDS if other != feed]
    assert not any(FEEDS[other].file_pattern.fullmatch(name) for other in others)


def test_every_feed_has_a_positive_size_limit_and_a_deadline_in_the_following_month():
    for feed in FEEDS.values():
        assert feed.max_file_bytes > 0 and 1 <= feed.deadline_day <= 28, feed.name
