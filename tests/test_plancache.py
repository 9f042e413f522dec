"""Plans cached by content: a hit is the same plan, any input of the plan invalidates it, --no-cache plans again."""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path

import pulumi
import pytest

from infra.cli import main
from infra.config import loader
from infra.config.clock import TODAY_ENV
from infra.offline import plancache
from infra.offline.plancache import PlanCache, stack_key, tree_digest
from infra.offline.record import StackPlan, plan_from_document, plan_to_document
from infra.paths import ROOT
from infra.review import snapshot
from tests.helpers import changed_key, raw_with


def _file_assets(plan: StackPlan) -> list[pulumi.FileAsset]:
    return [v for r in plan.resources for v in r.inputs.values() if isinstance(v, pulumi.FileAsset)]


def test_a_plan_survives_its_document_and_file_assets_move_to_the_readers_tree(
    plans: dict[str, StackPlan], tmp_path: Path
) -> None:
    plan = plans["prod"]
    assert _file_assets(plan), "prod uploads the job's files: the round trip must carry assets"
    document = plan_to_document(plan, ROOT)
    again = plan_from_document(document, ROOT)
    assert plan_to_document(again, ROOT) == document
    assert again.resources[5] == plan.resources[5] and again.outputs == plan.outputs
    assert snapshot.normalize(again) == snapshot.normalize(plan)
    elsewhere = plan_from_document(document, tmp_path)  # e.g. a base revision checked out under /tmp
    assert {str(a.path) for a in _file_assets(elsewhere)} == {
        str(tmp_path / Path(a.path).relative_to(ROOT)) for a in _file_assets(plan)
    }


def test_a_cache_hit_returns_an_equal_plan_and_a_bad_file_is_a_miss(
    plans: dict[str, StackPlan], tmp_path: Path
) -> None:
    cache = PlanCache(tmp_path)
    assert cache.get("k") is None
    cache.put("k", plans["dev"])
    hit = cache.get("k")
    assert hit is not None and plan_to_document(hit) == plan_to_document(plans["dev"])
    cache.path("k").write_text("{not json")
    assert cache.get("k") is None


def test_the_cache_keeps_only_the_newest_plans(plans: dict[str, StackPlan], tmp_path: Path) -> None:
    cache = PlanCache(tmp_path, max_entries=2)
    for index, key in enumerate(("a", "b", "c")):
        cache.put(key, plans["dev"])
        os.utime(cache.path(key), ns=(index * 10**9, index * 10**9))
    cache.put("d", plans["dev"])
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == ["c", "d"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small copy of what a plan depends on: program sources, templates, job, lock and stack files."""
    for name in ("infra/program.py", "templates/a.j2", "jobs/streaming_job/app.py", "uv.lock", "Pulumi.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"{name}\n")
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for stack, peer in (("prod", "prod-dr"), ("prod-dr", "prod"), ("dev", None)):
        dr = f"  streaming-platform:dr:\n    peerStack: organization/streaming-platform/{peer}\n" if peer else ""
        (stacks / f"Pulumi.{stack}.yaml").write_text(f"config:\n  streaming-platform:tier: {stack}\n{dr}")
    return tmp_path


def _keys(root: Path) -> dict[str, str]:
    digest = tree_digest(root)
    return {stack: stack_key(digest, root / "stacks", stack) for stack in ("prod", "prod-dr", "dev")}


@pytest.mark.parametrize(
    ("changed", "invalidated"),
    [
        ("infra/program.py", {"prod", "prod-dr", "dev"}),
        ("templates/a.j2", {"prod", "prod-dr", "dev"}),
        ("jobs/streaming_job/app.py", {"prod", "prod-dr", "dev"}),
        ("uv.lock", {"prod", "prod-dr", "dev"}),
        ("stacks/Pulumi.dev.yaml", {"dev"}),
        ("stacks/Pulumi.prod-dr.yaml", {"prod", "prod-dr"}),  # the peer's file changes prod's key too
    ],
)
def test_any_change_to_what_a_plan_reads_changes_its_key(tree: Path, changed: str, invalidated: set[str]) -> None:
    before = _keys(tree)
    assert _keys(tree) == before
    with (tree / changed).open("a") as handle:
        handle.write("# changed\n")
    after = _keys(tree)
    assert {stack for stack in before if before[stack] != after[stack]} == invalidated


def test_a_new_source_file_and_bytecode_caches(tree: Path) -> None:
    before = tree_digest(tree)
    (tree / "infra" / "__pycache__").mkdir()
    (tree / "infra" / "__pycache__" / "program.cpython-311.pyc").write_bytes(b"\0")
    assert tree_digest(tree) == before, "compiled files are not sources"
    (tree / "infra" / "extra.py").write_text("")
    assert tree_digest(tree) != before


def test_the_cli_answers_from_the_cache_and_no_cache_plans_again(
    plans: dict[str, StackPlan], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLUEPRINT_PLAN_CACHE", str(tmp_path))
    key = stack_key(tree_digest(), loader.STACKS, "dev")
    marked = dataclasses.replace(plans["dev"], warnings=["planned by the cache test"])
    saved = plancache.MEMO.get(key)
    plancache.MEMO[key] = marked
    try:
        assert main(["plan", "dev"]) == 0
        assert "planned by the cache test" in capsys.readouterr().out
        assert main(["plan", "dev", "--no-cache"]) == 0
        assert "planned by the cache test" not in capsys.readouterr().out
        assert PlanCache(tmp_path).get(key) is not None, "a fresh plan is kept for the next run"
    finally:
        if saved is not None:
            plancache.MEMO[key] = saved


def test_a_changed_config_plan_is_keyed_by_everything_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests.helpers.plan_changed reuses a plan only for the same tree, stack, config, peer outputs and day."""
    raw = raw_with("prod-dr", {"dr": {"activeRegion": "us-west-2"}})
    peer = {"prod": {"kafkaClusterArn": "arn:a"}}
    key = changed_key("tree", "prod-dr", raw, peer)
    assert changed_key("tree", "prod-dr", copy.deepcopy(raw), copy.deepcopy(peer)) == key
    assert changed_key("other-tree", "prod-dr", raw, peer) != key
    assert changed_key("tree", "prod", raw, peer) != key
    assert changed_key("tree", "prod-dr", raw_with("prod-dr", {"dr": {"activeRegion": "us-east-1"}}), peer) != key
    assert changed_key("tree", "prod-dr", raw, {"prod": {"kafkaClusterArn": "arn:b"}}) != key
    assert changed_key("tree", "prod-dr", raw, None) != key
    monkeypatch.setenv(TODAY_ENV, "2030-01-01")
    assert changed_key("tree", "prod-dr", raw, peer) != key
