"""Helpers for config tests (a stack file's raw config with some keys changed) and for
planning one tier alone on its stack's foundation."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from infra.components.foundation import Foundation
from infra.config import ConfigError, parse, read_stack_file
from infra.config.clock import TODAY_ENV
from infra.config.loader import deep_merge
from infra.config.problems import PROJECT, Problem
from infra.config.schema import StackConfig
from infra.offline.record import StackPlan

REUSE_PLANS = True
"""False under `pytest --fresh-plans` (tests/conftest.py): every plan is made again, none read back."""


def cached_plans(stacks: Iterable[str]) -> dict[str, StackPlan]:
    """plan_stacks through the plan cache (.cache/plans, keyed by content), as the CLI plans."""
    from infra.offline.plancache import PlanCache
    from infra.offline.runtime import plan_stacks

    return plan_stacks(stacks, cache=PlanCache(), reuse=REUSE_PLANS)


def raw_with(stack: str, changes: dict[str, Any] | None = None, remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stack file's raw config with `changes` deep-merged in (keys without namespace get ours)."""
    raw = copy.deepcopy(read_stack_file(stack))
    for key, value in (changes or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and isinstance(raw.get(full), dict):
            raw[full] = deep_merge(raw[full], value)
        else:
            raw[full] = value
    for key in remove:
        raw.pop(key if ":" in key else f"{PROJECT}:{key}", None)
    return raw


def config_errors(stack: str, changes: dict[str, Any] | None = None, remove: tuple[str, ...] = ()) -> list[str]:
    """Every error message the config loader gives for the changed stack file ([] when valid)."""
    try:
        parse(raw_with(stack, changes, remove), stack)
    except ConfigError as exc:
        return [p.format(exc.stack_file) for p in exc.problems]
    return []


def loaded_with(stack: str, changes: dict[str, Any] | None = None) -> tuple[StackConfig, list[Problem], dict[str, Any]]:
    """What `load_stack` returns for the changed stack file (plan_stack's ``loaded``)."""
    raw = raw_with(stack, changes)
    config, warnings = parse(raw, stack)
    return config, warnings, raw


def plan_tier(
    stack: str, tier: Callable[[Foundation], Mapping[str, Any]], changes: dict[str, Any] | None = None
) -> StackPlan:
    """Plan only the stack's foundation and what ``tier`` builds on it (returning its outputs).

    The same mocks, config and component code as the whole stack, without the tiers a test
    does not look at: the plan's outputs are the foundation's and the tier's.
    """
    from infra.offline.runtime import plan_stack
    from infra.program import build_foundation, merge_outputs

    def build(config: StackConfig) -> dict[str, Any]:
        foundation = build_foundation(config)
        return merge_outputs([foundation.outputs(), tier(foundation)])

    return plan_stack(stack, loaded=loaded_with(stack, changes), build=build)


def kafka_tier(foundation: Foundation) -> Mapping[str, Any]:
    """The Kafka tier and what it stands on (storage holds its broker logs): plan_tier's ``tier``."""
    from infra.components import kafka, storage

    return kafka.build(foundation, storage.build(foundation).component).outputs


def plan_changed(
    stack: str, changes: dict[str, Any], peer_outputs: dict[str, dict[str, Any]] | None = None
) -> StackPlan:
    """The whole stack planned with some keys of its stack file changed, against ``peer_outputs``.

    Kept like the session's plans, by the content of everything the plan reads: the program's
    sources and lock file (tree digest), every stack file (the config rules read the peer's), the
    changed config, the peer outputs it reads and the day (the real one and the one the rules see).
    In this process's memo and in .cache/plans, so an unchanged tree plans it once.
    """
    from infra.config import loader
    from infra.offline.plancache import MEMO, PlanCache, tree_digest
    from infra.offline.runtime import plan_stack

    config, warnings, raw = loaded_with(stack, changes)
    stack_files = hashlib.sha256()
    for path in sorted(loader.STACKS.glob("Pulumi.*.yaml")):
        stack_files.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    key = changed_key(f"{tree_digest()}/{stack_files.hexdigest()}", stack, raw, peer_outputs)
    cache = PlanCache()
    plan = (MEMO.get(key) or cache.get(key)) if REUSE_PLANS else None
    if plan is None:
        plan = plan_stack(stack, peer_outputs, loaded=(config, warnings, raw))
        cache.put(key, plan)
    MEMO[key] = plan
    return plan


def changed_key(tree: str, stack: str, raw: dict[str, Any], peer_outputs: dict[str, dict[str, Any]] | None) -> str:
    """plan_changed's cache key: ``tree`` (sources and stack files), the day (real and the rules'), stack,
    raw config, peer outputs."""
    content = json.dumps([stack, raw, peer_outputs or {}], sort_keys=True, default=str)
    day = f"{dt.datetime.now(dt.UTC).date().isoformat()}/{os.environ.get(TODAY_ENV, '')}"
    return hashlib.sha256("\0".join(["changed-config", tree, day, content]).encode()).hexdigest()
