"""CrossGuard adapter: the pure rules as pulumi-policy Resource/Stack validation policies.

pulumi-policy is imported inside the functions, so the rules, `evaluate_plan` and the
blueprint CLI can import this package without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streaming_policies.engine import identities_of
from streaming_policies.model import (
    ResourceRule,
    ResourceView,
    RuleContext,
    StackRule,
    Tier,
    enforcement_for,
)
from streaming_policies.rules import RESOURCE_RULES
from streaming_policies.stack_rules import STACK_RULES
from streaming_policies.values import is_unknown, plain

if TYPE_CHECKING:
    from pulumi_policy import (
        Policy,
        PolicyResource,
        ReportViolation,
        ResourceValidationArgs,
        StackValidationArgs,
    )

PACK_NAME = "streaming-platform"


def view_of_policy_resource(resource: PolicyResource) -> ResourceView:
    """A ResourceView of a resource as CrossGuard hands it to a stack policy."""
    props = plain(resource.props)
    region = props.get("region")
    return ResourceView(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=props,
        provider_props=plain(resource.provider.props) if resource.provider else None,
        property_dependencies={
            key: tuple(dependency.urn for dependency in dependencies)
            for key, dependencies in resource.property_dependencies.items()
        },
        identities=identities_of(resource.resource_type, props, props, None),
        region=region if isinstance(region, str) and not is_unknown(region) else None,
    )


def _resource_validation(rule: ResourceRule, tier: Tier, stack: str) -> Any:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        # pulumi-policy strips secret markers from props, so secrecy is not observable here.
        context = RuleContext(tier=tier, stack=stack, resource_name=args.name, secrets_visible=False)
        for message in rule.run(args.resource_type, plain(args.props), context):
            report_violation(message, None)

    return validate


def _stack_validation(rule: StackRule, tier: Tier, stack: str) -> Any:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        views = tuple(view_of_policy_resource(resource) for resource in args.resources)
        context = RuleContext(tier=tier, stack=stack, resources=views, secrets_visible=False)
        for finding in rule.run(context):
            report_violation(finding.message, finding.urn)

    return validate


def build_policies(tier: Tier, stack: str) -> list[Policy]:
    """One CrossGuard policy per rule, its enforcement level fixed by the tier."""
    import pulumi_policy

    policies: list[Policy] = []
    for resource_rule in RESOURCE_RULES:
        policies.append(
            pulumi_policy.ResourceValidationPolicy(
                name=resource_rule.name,
                description=resource_rule.description,
                validate=_resource_validation(resource_rule, tier, stack),
                enforcement_level=pulumi_policy.EnforcementLevel(enforcement_for(resource_rule, tier)),
                severity=pulumi_policy.Severity(resource_rule.severity),
                url=resource_rule.reference,
            )
        )
    for stack_rule in STACK_RULES:
        policies.append(
            pulumi_policy.StackValidationPolicy(
                name=stack_rule.name,
                description=stack_rule.description,
                validate=_stack_validation(stack_rule, tier, stack),
                enforcement_level=pulumi_policy.EnforcementLevel(enforcement_for(stack_rule, tier)),
                severity=pulumi_policy.Severity(stack_rule.severity),
                url=stack_rule.reference,
            )
        )
    return policies
