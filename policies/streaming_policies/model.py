"""The pack's vocabulary: tiers, what a rule sees, what a rule is, what a violation is.

Kept free of pulumi and pulumi-policy so the same rules run in the offline plan
(`evaluate_plan`), in the tests and inside the CrossGuard adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Tier = Literal["dev", "staging", "prod"]
TIERS: tuple[Tier, ...] = get_args(Tier)

Enforcement = Literal["mandatory", "advisory", "disabled"]
Severity = Literal["low", "medium", "high", "critical"]


def parse_tier(value: str) -> Tier:
    """A tier from user input; raises ValueError naming the accepted values."""
    for tier in TIERS:
        if value == tier:
            return tier
    raise ValueError(f"unknown tier {value!r}: expected one of {', '.join(TIERS)}")


@dataclass(frozen=True)
class ResourceView:
    """One resource as the rules see it, whichever source it came from."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    """camelCase inputs (offline plan) or engine properties (under `pulumi preview`)."""
    provider_props: Mapping[str, Any] | None = None
    """Inputs of the aws provider that manages the resource (for ``defaultTags``)."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Top-level property name -> URNs its value came from: the reliable link between
    resources during a preview, when ids and ARNs are still unknown."""
    identities: frozenset[str] = frozenset()
    """Strings other resources use to name this one (id, ARN, bucket or group name)."""
    region: str | None = None


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know beyond one resource's properties."""

    tier: Tier
    stack: str
    resources: tuple[ResourceView, ...] = ()
    """Every resource of the stack; filled for stack rules."""
    resource_name: str = ""
    """Logical name of the resource a resource rule is looking at."""
    secrets_visible: bool = True
    """False under pulumi-policy, which strips secret markers before rules see props."""


@dataclass(frozen=True)
class Finding:
    """One problem a stack rule found, attached to the resource at fault."""

    message: str
    urn: str


ResourceCheck = Callable[[str, Mapping[str, Any], RuleContext], list[str]]
StackCheck = Callable[[RuleContext], list[Finding]]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Metadata shared by resource and stack rules."""

    name: str
    description: str
    severity: Severity
    reference: str
    """AWS documentation the rule is derived from (URL)."""
    tiers: frozenset[Tier] = frozenset(TIERS)
    """Tiers the rule applies to; elsewhere it is disabled."""
    always_mandatory: bool = False
    """Blocks in every tier (rules that guard the pack's own tier detection)."""


@dataclass(frozen=True, kw_only=True)
class ResourceRule(Rule):
    """A pure check of one resource's properties."""

    resource_types: frozenset[str]
    check: ResourceCheck

    def run(self, resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
        if resource_type not in self.resource_types:
            return []
        return self.check(resource_type, props, context)


@dataclass(frozen=True, kw_only=True)
class StackRule(Rule):
    """A pure check over all resources of one stack (relations between resources)."""

    check: StackCheck

    def run(self, context: RuleContext) -> list[Finding]:
        return self.check(context)


def enforcement_for(rule: Rule, tier: Tier) -> Enforcement:
    """Mandatory in prod, advisory elsewhere; disabled where the rule does not apply."""
    if tier not in rule.tiers:
        return "disabled"
    if rule.always_mandatory or tier == "prod":
        return "mandatory"
    return "advisory"


@dataclass(frozen=True, order=True)
class Violation:
    """One rule failing on one resource."""

    rule: str
    urn: str
    message: str
    resource_type: str
    resource_name: str
    enforcement: Enforcement
    severity: Severity

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory"
