"""How the pack learns the tier it enforces when `pulumi preview --policy-pack` starts it.

CrossGuard fixes each policy's enforcement level when the pack process starts, so the tier
must be known before any resource is seen. The Pulumi CLI starts a Python policy pack with
the stack's identity and configuration in its environment (``PULUMI_STACK``,
``PULUMI_PROJECT`` and ``PULUMI_CONFIG``, a JSON object of ``"<namespace>:<key>"`` to string
values; pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv).
The first of these that names a tier wins:

1. ``STREAMING_POLICY_TIER`` (explicit override, e.g. for `pulumi policy publish` or CI);
2. the ``environment`` key of ``aws:defaultTags`` in the stack config;
3. ``<project>:tier`` in the stack config (the key the platform's stack files use);
4. a word of the stack name: prod/production/prd, staging/stage/stg, dev/development/sandbox;
5. otherwise prod, so an unrecognised stack fails closed (every rule mandatory).

The stack rule ``tier-matches-environment-tag`` then checks the resources' own
``environment`` tags against the chosen tier, in every tier, as a mandatory rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from streaming_policies.model import Tier, parse_tier
from streaming_policies.values import name_tokens

TIER_OVERRIDE_ENV = "STREAMING_POLICY_TIER"

STACK_NAME_WORDS: dict[Tier, frozenset[str]] = {
    "prod": frozenset({"prod", "production", "prd"}),
    "staging": frozenset({"staging", "stage", "stg"}),
    "dev": frozenset({"dev", "development", "sandbox"}),
}
"""Checked in this order, so a name with several words takes the strictest tier."""


@dataclass(frozen=True)
class TierResolution:
    tier: Tier
    source: str
    """Where the tier came from, for the pack's description and the logs."""
    stack: str


def tier_from_stack_name(stack: str) -> Tier | None:
    words = name_tokens(stack.rsplit("/", 1)[-1])
    return next((tier for tier, names in STACK_NAME_WORDS.items() if words & names), None)


def _known_tier(value: Any) -> Tier | None:
    try:
        return parse_tier(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _config(environ: Mapping[str, str]) -> dict[str, Any]:
    try:
        config = json.loads(environ.get("PULUMI_CONFIG") or "{}")
    except json.JSONDecodeError:
        return {}
    return config if isinstance(config, dict) else {}


def _default_tags_environment(config: Mapping[str, Any]) -> Any:
    default_tags = config.get("aws:defaultTags")
    if isinstance(default_tags, str):
        try:
            default_tags = json.loads(default_tags)
        except json.JSONDecodeError:
            return None
    tags = default_tags.get("tags") if isinstance(default_tags, Mapping) else None
    return tags.get("environment") if isinstance(tags, Mapping) else None


def resolve_tier(environ: Mapping[str, str]) -> TierResolution:
    """The tier to enforce; raises ValueError when the explicit override is not a tier."""
    stack = environ.get("PULUMI_STACK", "")
    override = environ.get(TIER_OVERRIDE_ENV)
    if override:
        return TierResolution(parse_tier(override), TIER_OVERRIDE_ENV, stack)
    config = _config(environ)
    from_tags = _known_tier(_default_tags_environment(config))
    if from_tags:
        return TierResolution(from_tags, "aws:defaultTags environment", stack)
    project = environ.get("PULUMI_PROJECT", "")
    from_config = _known_tier(config.get(f"{project}:tier")) if project else None
    if from_config:
        return TierResolution(from_config, f"{project}:tier", stack)
    from_name = tier_from_stack_name(stack) if stack else None
    if from_name:
        return TierResolution(from_name, f"stack name {stack!r}", stack)
    return TierResolution("prod", "default (no tier found: fail closed)", stack)
