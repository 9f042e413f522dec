"""CrossGuard policy pack of the streaming platform, as pure rules over camelCase props.

The same rules run three ways: `evaluate_plan` over an offline plan (`blueprint plan`, the
tests), per rule in the tests, and as a CrossGuard pack (`pulumi preview --policy-pack
policies`, through `adapter.build_policies`). Nothing here imports ``infra`` or pulumi.
"""

from streaming_policies.engine import build_views, evaluate_dr_pairing, evaluate_plan, evaluate_views
from streaming_policies.model import (
    TIERS,
    Finding,
    ResourceRule,
    ResourceView,
    RuleContext,
    StackRule,
    Tier,
    Violation,
    enforcement_for,
    parse_tier,
)
from streaming_policies.rules import RESOURCE_RULES
from streaming_policies.stack_rules import STACK_RULES
from streaming_policies.tier import TierResolution, resolve_tier

ALL_RULES: tuple[ResourceRule | StackRule, ...] = (*RESOURCE_RULES, *STACK_RULES)

__all__ = [
    "ALL_RULES",
    "RESOURCE_RULES",
    "STACK_RULES",
    "TIERS",
    "Finding",
    "ResourceRule",
    "ResourceView",
    "RuleContext",
    "StackRule",
    "Tier",
    "TierResolution",
    "Violation",
    "build_views",
    "enforcement_for",
    "evaluate_dr_pairing",
    "evaluate_plan",
    "evaluate_views",
    "parse_tier",
    "resolve_tier",
]
