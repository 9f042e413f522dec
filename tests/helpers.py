"""Helpers for config tests: a stack file's raw config with some keys changed."""

from __future__ import annotations

import copy
from typing import Any

from infra.config import ConfigError, parse, read_stack_file
from infra.config.loader import deep_merge
from infra.config.problems import PROJECT


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
