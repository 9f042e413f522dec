"""Turns a stack's raw config (stack file or Pulumi runtime) into a validated StackConfig.

The same path serves `pulumi up` (raw values from the language host) and the offline
plan (raw values read from ``stacks/Pulumi.<stack>.yaml``), so a bad stack file fails
the same way in both, with every problem listed, before any resource is registered.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from infra.config import parity
from infra.config.problems import PROJECT, ConfigError, Problem, error
from infra.config.schema import StackConfig
from infra.config.tier_defaults import TIER_DEFAULTS
from infra.paths import STACKS

PREFIX = f"{PROJECT}:"
# Keys the stack config is read from but that do not belong to our namespace.
FOREIGN_KEYS = {"aws:region"}


def stack_file_path(stack: str) -> Path:
    return STACKS / f"Pulumi.{stack}.yaml"


def stack_file_label(stack: str) -> str:
    return f"stacks/Pulumi.{stack}.yaml"


def list_stacks() -> list[str]:
    """Every stack that has a stack file, primaries before the stacks that reference them."""
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in STACKS.glob("Pulumi.*.yaml")]
    return sorted(names, key=lambda n: (n.count("-"), n))


def read_stack_file(stack: str) -> dict[str, Any]:
    """The ``config:`` map of a stack file, values as YAML gives them (nested, typed)."""
    path = stack_file_path(stack)
    if not path.exists():
        raise ConfigError(stack_file_label(stack), [error("(file)", str(path), "stack file not found")])
    try:
        text = path.read_text()
        duplicates = list(_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader)))
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(stack_file_label(stack), [error("(file)", str(path), f"not valid YAML: {exc}")]) from exc
    if duplicates:
        raise ConfigError(stack_file_label(stack), duplicates)
    config = document.get("config", {}) if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(stack_file_label(stack), [error("config", config, "must be a mapping of keys to values")])
    return config


def _duplicate_keys(node: yaml.Node | None, path: str = "") -> Iterator[Problem]:
    """A key given twice in one mapping, at any depth: Pulumi refuses such a stack file, while a
    YAML reader silently keeps the later value, so the offline plan would not be the deployed one."""
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, f"{path}[{index}]")
    if not isinstance(node, yaml.MappingNode):
        return
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        name = f"{path}.{key_node.value}" if path else str(key_node.value)
        line = key_node.start_mark.line + 1
        if name in first_line:
            yield _duplicate(name, first_line[name], line)
        else:
            first_line[name] = line
        yield from _duplicate_keys(value_node, name)


def _duplicate(name: str, first: int, again: int) -> Problem:
    message = "the key is given twice: Pulumi refuses a stack file that repeats a key; keep one"
    key = name.removeprefix("config.")
    if key == name:
        return error("(file)", f"{name} on lines {first} and {again}", message)
    return error(key.removeprefix(PREFIX), f"lines {first} and {again}", message)


def from_runtime() -> dict[str, Any]:
    """The raw config the Pulumi language host hands the program (JSON strings for objects)."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key: _decode(value) for key, value in merged.items()}


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def to_runtime(raw: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file values as the language host passes them: strings, JSON for structures."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in raw.items()}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse(raw: Mapping[str, Any], stack: str) -> tuple[StackConfig, list[Problem]]:
    """Validate raw config; return the config and its warnings, or raise ConfigError with all errors."""
    from infra.config.rules import check_all

    label = stack_file_label(stack)
    problems: list[Problem] = []
    ours: dict[str, Any] = {}
    for key, value in raw.items():
        if key.startswith(PREFIX):
            ours[key[len(PREFIX) :]] = value
        elif key not in FOREIGN_KEYS and not key.startswith("aws:"):
            namespace = key.split(":", 1)[0]
            problems.append(error(key, value, f"unknown namespace '{namespace}': use '{PROJECT}:' or 'aws:'"))

    ours, pair_problems = _with_peer(ours, stack)
    if pair_problems:
        raise ConfigError(label, problems + pair_problems)
    tier = ours.get("tier")
    if not isinstance(tier, str) or tier not in TIER_DEFAULTS:
        *others, last = [f"'{name}'" for name in TIER_DEFAULTS]
        message = f"must be {', '.join(others)} or {last}; the tier picks the defaults, so the other keys wait for it"
        problems.append(error("tier", tier, message))
        raise ConfigError(label, problems)
    try:
        config = _validate(ours, raw.get("aws:region"), stack)
    except ValidationError as exc:
        problems.extend(_problems_from(exc))
        # Validate again without the bad values (tier defaults fill in), so the cross-field
        # rules still run and every problem is reported in this one run.
        reported = {p.key for p in problems}
        try:
            config = _validate(_without(ours, [e["loc"] for e in exc.errors()]), raw.get("aws:region"), stack)
        except ValidationError:
            raise ConfigError(label, problems) from None
        problems.extend(p for p in check_all(config) if p.key not in reported)
        raise ConfigError(label, [p for p in problems if p.severity == "error"]) from None
    problems.extend(check_all(config))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ConfigError(label, errors)
    return config, [p for p in problems if p.severity == "warning"]


def _with_peer(ours: dict[str, Any], stack: str) -> tuple[dict[str, Any], list[Problem]]:
    """Check ``dr.peerStack`` against this project's stack files; a standby also inherits from it.

    A secondary's keys that must match its primary (``infra/config/parity.py``) are read from the
    primary's stack file, validated there first, so the standby follows every change of it.
    """
    dr = ours.get("dr")
    if not isinstance(dr, Mapping):
        return ours, []
    peer, secondary = dr.get("peerStack"), dr.get("role") == "secondary"
    if peer is not None and not isinstance(peer, str):
        return ours, []  # the schema reports a value that is not a string
    problems = parity.peer_problems(peer, stack, list_stacks(), secondary=secondary)
    parts = parity.peer_parts(peer) if peer is not None else None
    if problems or parts is None or not secondary:
        return ours, problems
    primary_stack = parts[2]
    primary, _ = parse(read_stack_file(primary_stack), primary_stack)
    if primary.dr.role != "primary":
        message = f"names a {primary.dr.role} ({stack_file_label(primary_stack)}): a standby's peer is its primary"
        return ours, [error("dr.peerStack", peer, message)]
    return parity.inherit(ours, primary, stack_file_label(primary_stack))


def _validate(ours: Mapping[str, Any], region: Any, stack: str) -> StackConfig:
    document = deep_merge(TIER_DEFAULTS[ours["tier"]], ours)
    document["stack"] = stack
    if region is not None:
        document["region"] = region
    return StackConfig.model_validate(document)


def _without(document: Mapping[str, Any], locations: list[tuple[Any, ...]]) -> dict[str, Any]:
    """A copy of the stack-file values with the given (dotted) locations removed."""
    trimmed = copy.deepcopy(dict(document))
    for location in locations:
        node: Any = trimmed
        for part in location[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(location[-1], None)
    return trimmed


def load_stack(stack: str) -> tuple[StackConfig, list[Problem], dict[str, Any]]:
    """Read and validate a stack file; also return the raw config for the mock runtime."""
    raw = read_stack_file(stack)
    config, warnings = parse(raw, stack)
    return config, warnings, raw


def _problems_from(exc: ValidationError) -> list[Problem]:
    problems = []
    for item in exc.errors():
        loc = [str(part) for part in item["loc"]]
        key = ".".join(loc)
        if loc == ["region"]:
            key = "aws:region"
        if item["type"] == "extra_forbidden":
            known = _known_keys(StackConfig, loc[:-1])
            hint = difflib.get_close_matches(loc[-1], known, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            problems.append(error(key, item["input"], f"unknown key{suggestion} (allowed: {', '.join(sorted(known))})"))
        elif item["type"] == "missing":
            what = "required: the AWS region of this stack" if key == "aws:region" else "required key is missing"
            problems.append(error(key, None, what))
        else:
            problems.append(error(key, item.get("input"), _allowed(item)))
    return problems


def _allowed(item: Any) -> str:
    message: str = item["msg"]
    return message[0].lower() + message[1:]


def _known_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    """Stack-file (alias) names valid at a dotted path of the schema."""
    current: Any = model
    for part in path:
        fields = {f.alias or n: f for n, f in current.model_fields.items()}
        field = fields.get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    hidden = _SET_BY_LOADER if current is StackConfig else set()
    return [f.alias or n for n, f in current.model_fields.items() if n not in hidden]


# Top-level fields the loader fills from outside the project namespace.
_SET_BY_LOADER = {"stack", "region"}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
