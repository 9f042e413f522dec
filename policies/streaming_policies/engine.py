"""Run the whole pack over an offline plan, the way CrossGuard runs it during a preview.

`evaluate_plan` accepts the plan record's resources (``infra.offline.record.PlannedResource``
or anything with ``.type``, ``.name``, ``.urn``, ``.inputs``) or plain dicts with the same
keys, so `blueprint plan` and the tests check a stack without the Pulumi CLI. The package
does not import ``infra``: it reads those attributes by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from streaming_policies import tokens
from streaming_policies.model import (
    ResourceView,
    RuleContext,
    Tier,
    Violation,
    enforcement_for,
    parse_tier,
)
from streaming_policies.rules import RESOURCE_RULES
from streaming_policies.stack_rules import STACK_RULES, dr_pairing_findings
from streaming_policies.values import is_unknown, reveal


def _field(resource: Any, *names: str) -> Any:
    """First present field of a dict or attribute of an object, among ``names``."""
    for name in names:
        if isinstance(resource, Mapping):
            if name in resource:
                return resource[name]
        elif hasattr(resource, name):
            return getattr(resource, name)
    return None


def identities_of(
    resource_type: str, props: Mapping[str, Any], outputs: Mapping[str, Any], resource_id: Any
) -> frozenset[str]:
    """The strings another resource may use to refer to this one: id, ARN, own name."""
    found = [resource_id, outputs.get("id"), outputs.get("arn"), props.get("arn")]
    own_name_key = tokens.OWN_NAME_INPUT.get(resource_type)
    if own_name_key:
        found += [props.get(own_name_key), outputs.get(own_name_key)]
    names = {value for value in map(reveal, found) if isinstance(value, str) and value and not is_unknown(value)}
    if resource_type == tokens.BUCKET:
        names |= {f"arn:aws:s3:::{name}" for name in list(names) if not name.startswith("arn:")}
    return frozenset(names)


def _provider_urn(reference: Any, provider_urns: Iterable[str]) -> str | None:
    """URN of a provider reference (``<urn>::<id>``, or a bare URN)."""
    if not isinstance(reference, str) or not reference:
        return None
    if reference in provider_urns:
        return reference
    return reference.rsplit("::", 1)[0]


def build_views(resources: Iterable[Any]) -> tuple[ResourceView, ...]:
    """ResourceViews of plan records or dicts, with provider inputs resolved by URN."""
    items = list(resources)
    providers = {
        str(_field(item, "urn")): _field(item, "inputs", "props") or {}
        for item in items
        if str(_field(item, "type")).startswith(tokens.AWS_PROVIDER)
    }
    views = []
    for item in items:
        resource_type = str(_field(item, "type"))
        props = _field(item, "inputs", "props") or {}
        outputs = _field(item, "outputs") or {}
        dependencies = _field(item, "property_dependencies", "propertyDependencies") or {}
        provider_urn = _provider_urn(_field(item, "provider"), providers)
        region = _field(item, "region") or props.get("region")
        views.append(
            ResourceView(
                type=resource_type,
                name=str(_field(item, "name")),
                urn=str(_field(item, "urn")),
                props=props,
                provider_props=providers.get(provider_urn) if provider_urn else None,
                property_dependencies={key: tuple(urns) for key, urns in dependencies.items()},
                identities=identities_of(resource_type, props, outputs, _field(item, "resource_id", "id")),
                region=region if isinstance(region, str) and not is_unknown(region) else None,
            )
        )
    return tuple(views)


def evaluate_views(
    views: Sequence[ResourceView], tier: Tier, stack: str, secrets_visible: bool = True
) -> list[Violation]:
    """Every rule of the pack over one stack's resources, sorted for stable output."""
    context = RuleContext(tier=tier, stack=stack, resources=tuple(views), secrets_visible=secrets_visible)
    by_urn = {view.urn: view for view in views}
    violations = []
    for resource_rule in RESOURCE_RULES:
        enforcement = enforcement_for(resource_rule, tier)
        if enforcement == "disabled":
            continue
        for view in views:
            messages = resource_rule.run(view.type, view.props, replace(context, resource_name=view.name))
            violations += [
                Violation(
                    resource_rule.name, view.urn, message, view.type, view.name, enforcement, resource_rule.severity
                )
                for message in messages
            ]
    for stack_rule in STACK_RULES:
        enforcement = enforcement_for(stack_rule, tier)
        if enforcement == "disabled":
            continue
        for finding in stack_rule.run(context):
            culprit = by_urn[finding.urn]
            violations.append(
                Violation(
                    stack_rule.name,
                    finding.urn,
                    finding.message,
                    culprit.type,
                    culprit.name,
                    enforcement,
                    stack_rule.severity,
                )
            )
    return sorted(violations)


def evaluate_plan(resources: Iterable[Any], tier: str, stack: str) -> list[Violation]:
    """Run the whole pack over one stack's offline plan (raises ValueError on a bad tier)."""
    return evaluate_views(build_views(resources), parse_tier(tier), stack)


def evaluate_dr_pairing(
    resources_a: Iterable[Any], stack_a: str, resources_b: Iterable[Any], stack_b: str
) -> list[str]:
    """Cross-check the DR peer declarations of two stacks' plans (e.g. prod and prod-dr)."""
    return dr_pairing_findings(build_views(resources_a), stack_a, build_views(resources_b), stack_b)
