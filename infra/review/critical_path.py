"""Deploy-time critical path of a planned stack.

Why: MSK (~30 min), ElastiCache (~20 min) and EMR (~11 min) dominate `pulumi up`. They
create in parallel unless something chains them; one needless ``depends_on`` (or an
input taken from another tier's output when a config value would do) turns ~30 minutes
into ~60. This module weighs the plan's resource graph with typical create (or delete)
minutes per type from ``infra/data/create_times.yaml`` and reports the longest chain,
when each tier finishes, and a finding whenever two of those three sit on one chain.

Graph: nodes are the custom resources; an edge runs from each dependency to its
dependent (``PlannedResource.dependencies`` and property dependencies). A dependency on
a component means waiting for every custom resource under it, recursively, as the
Pulumi engine does. Pure: a ``StackPlan`` in, a ``CriticalPath`` out.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from infra.offline.record import PlannedResource, StackPlan
from infra.paths import DATA

CREATE_TIMES_FILE = DATA / "create_times.yaml"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_LABEL = "(stack)"

# The long creators that should run side by side; two on one chain is a finding.
SERIALIZATION_WATCHLIST: tuple[str, ...] = (
    "aws:msk/cluster:Cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:emr/cluster:Cluster",
)

Operation = Literal["create", "delete"]


class CreateTimesError(ValueError):
    """The create-times file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class TypeTiming:
    create_minutes: float
    delete_minutes: float
    source: str


@dataclass(frozen=True)
class CreateTimes:
    checked: str
    default: TypeTiming
    by_type: Mapping[str, TypeTiming]

    def minutes(self, type_token: str, operation: Operation = "create") -> float:
        timing = self.by_type.get(type_token, self.default)
        return timing.create_minutes if operation == "create" else timing.delete_minutes


@dataclass(frozen=True)
class PathStep:
    urn: str
    type: str
    name: str
    minutes: float
    start: float
    finish: float


@dataclass(frozen=True)
class CriticalPath:
    operation: Operation
    total_minutes: float
    path: tuple[PathStep, ...]
    """The longest chain, first resource to last."""
    tier_finish: tuple[tuple[str, float], ...]
    """(tier, minute its last resource is done), earliest first. A tier is the outermost
    component under the stack (``"<type token> <name>"``), or ``(stack)``."""
    findings: tuple[str, ...]


def parse_create_times(document: Any) -> CreateTimes:
    if not isinstance(document, Mapping):
        raise CreateTimesError("create times: top level must be a mapping")
    try:
        default = _timing(document["default"])
        by_type = {token: _timing(entry) for token, entry in (document.get("types") or {}).items()}
    except (KeyError, TypeError, ValueError) as error:
        raise CreateTimesError(f"create times: malformed entry ({error})") from error
    return CreateTimes(checked=str(document.get("checked", "")), default=default, by_type=by_type)


def _timing(entry: Mapping[str, Any]) -> TypeTiming:
    timing = TypeTiming(float(entry["create_minutes"]), float(entry["delete_minutes"]), str(entry["source"]))
    if timing.create_minutes < 0 or timing.delete_minutes < 0 or not timing.source.strip():
        raise ValueError("minutes must be >= 0 and a source given")
    return timing


def load_create_times(path: Path = CREATE_TIMES_FILE) -> CreateTimes:
    try:
        return parse_create_times(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise CreateTimesError(f"cannot read {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise CreateTimesError(f"{path} is not valid YAML: {error}") from error


def critical_path(plan: StackPlan, times: CreateTimes | None = None, operation: Operation = "create") -> CriticalPath:
    """The longest chain of waits in the plan, weighted by typical minutes per type.

    For ``delete`` the edges are reversed: a resource goes once all its dependents are gone.
    """
    times = times if times is not None else load_create_times()
    nodes = list(plan.custom_resources())
    waits_for = _create_dependencies(plan, nodes)
    if operation == "delete":
        waits_for = _reverse(waits_for, nodes)
    weight = {node.urn: times.minutes(node.type, operation) for node in nodes}
    finish: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    position = {node.urn: number for number, node in enumerate(nodes)}
    for urn in _topological_order(nodes, waits_for):
        # The latest-finishing dependency; ties go to the first in plan order.
        before = max(
            sorted(waits_for[urn], key=position.__getitem__), key=lambda dependency: finish[dependency], default=None
        )
        previous[urn] = before
        finish[urn] = weight[urn] + (finish[before] if before is not None else 0.0)
    index = plan.by_urn()
    path: list[PathStep] = []
    cursor = max(finish, key=lambda urn: finish[urn], default=None)
    while cursor is not None:
        resource = index[cursor]
        path.append(
            PathStep(
                cursor, resource.type, resource.name, weight[cursor], finish[cursor] - weight[cursor], finish[cursor]
            )
        )
        cursor = previous[cursor]
    path.reverse()
    tiers: dict[str, float] = defaultdict(float)
    for node in nodes:
        label = _tier_label(node, index)
        tiers[label] = max(tiers[label], finish[node.urn])
    findings = _serialization_findings(nodes, waits_for, weight) if operation == "create" else ()
    return CriticalPath(
        operation=operation,
        total_minutes=path[-1].finish if path else 0.0,
        path=tuple(path),
        tier_finish=tuple(sorted(tiers.items(), key=lambda item: (item[1], item[0]))),
        findings=findings,
    )


def format_critical_path(result: CriticalPath) -> list[str]:
    """Short lines for the plan: total, the chain, tier finish times, findings."""
    lines = [f"Deploy critical path ({result.operation}, typical minutes): {result.total_minutes:g} min"]
    lines += [
        f"  {step.start:6.1f} -> {step.finish:6.1f}  {step.type} {step.name} ({step.minutes:g} min)"
        for step in result.path
    ]
    if result.tier_finish:
        lines.append("Tiers done at: " + "; ".join(f"{tier} {minute:g} min" for tier, minute in result.tier_finish))
    lines += [f"! {finding}" for finding in result.findings]
    return lines


# --------------------------------------------------------------------- graph


def _create_dependencies(plan: StackPlan, nodes: list[PlannedResource]) -> dict[str, set[str]]:
    """For each custom resource, the custom resources it waits for when created."""
    node_urns = {node.urn for node in nodes}
    children: dict[str, list[PlannedResource]] = defaultdict(list)
    for resource in plan.resources:
        if resource.parent is not None:
            children[resource.parent].append(resource)
    index = plan.by_urn()
    expanded: dict[str, frozenset[str]] = {}

    def expand(urn: str) -> frozenset[str]:
        """The custom resources a dependency on ``urn`` waits for."""
        if urn in node_urns:
            return frozenset({urn})
        if urn not in expanded:
            target = index.get(urn)
            if target is None or target.custom or target.type == STACK_TYPE:  # providers, the stack, strangers
                expanded[urn] = frozenset()
            else:
                expanded[urn] = frozenset(_custom_descendants(urn, children, node_urns))
        return expanded[urn]

    waits_for: dict[str, set[str]] = {}
    for node in nodes:
        direct = set(node.dependencies)
        for urns in node.property_dependencies.values():
            direct.update(urns)
        waits_for[node.urn] = {found for urn in direct for found in expand(urn)} - {node.urn}
    return waits_for


def _custom_descendants(urn: str, children: Mapping[str, list[PlannedResource]], node_urns: set[str]) -> Iterable[str]:
    stack = list(children.get(urn, ()))
    while stack:
        resource = stack.pop()
        if resource.urn in node_urns:
            yield resource.urn
        stack.extend(children.get(resource.urn, ()))


def _reverse(waits_for: Mapping[str, set[str]], nodes: list[PlannedResource]) -> dict[str, set[str]]:
    reversed_edges: dict[str, set[str]] = {node.urn: set() for node in nodes}
    for dependent, dependencies in waits_for.items():
        for dependency in dependencies:
            reversed_edges[dependency].add(dependent)
    return reversed_edges


def _topological_order(nodes: list[PlannedResource], waits_for: Mapping[str, set[str]]) -> list[str]:
    """Kahn's order, ties in plan order, so results are deterministic."""
    position = {node.urn: number for number, node in enumerate(nodes)}
    dependents: dict[str, list[str]] = defaultdict(list)
    remaining = {urn: len(dependencies) for urn, dependencies in waits_for.items()}
    for urn, dependencies in waits_for.items():
        for dependency in dependencies:
            dependents[dependency].append(urn)
    ready = deque(node.urn for node in nodes if remaining[node.urn] == 0)
    order: list[str] = []
    while ready:
        urn = ready.popleft()
        order.append(urn)
        for dependent in sorted(dependents[urn], key=position.__getitem__):
            remaining[dependent] -= 1
            if remaining[dependent] == 0:
                ready.append(dependent)
    if len(order) != len(nodes):
        stuck = sorted(urn for urn, count in remaining.items() if count > 0)
        raise ValueError(f"dependency cycle among {len(stuck)} resources, e.g. {stuck[0]}")
    return order


def _tier_label(resource: PlannedResource, index: Mapping[str, PlannedResource]) -> str:
    label = STACK_LABEL
    parent = index.get(resource.parent) if resource.parent else None
    while parent is not None:
        if not parent.custom and parent.type != STACK_TYPE:
            label = f"{parent.type} {parent.name}"  # keeps the outermost component
        parent = index.get(parent.parent) if parent.parent else None
    return label


def _serialization_findings(
    nodes: list[PlannedResource], waits_for: Mapping[str, set[str]], weight: Mapping[str, float]
) -> tuple[str, ...]:
    """One finding per watched pair chained directly (no third watched resource between)."""
    watched = [node for node in nodes if node.type in SERIALIZATION_WATCHLIST]
    if len(watched) < 2:
        return ()
    dependents: dict[str, set[str]] = defaultdict(set)
    for urn, dependencies in waits_for.items():
        for dependency in dependencies:
            dependents[dependency].add(urn)
    names = {node.urn: node.name for node in nodes}
    reach = {node.urn: _chain_paths(node.urn, dependents) for node in watched}
    findings = []
    for first in watched:
        for second in watched:
            chain = reach[first.urn].get(second.urn)
            if second is first or chain is None:
                continue
            if any(other.urn in reach[first.urn] and second.urn in reach[other.urn] for other in watched):
                continue  # reported as two shorter pairs through the watched one between
            route = " -> ".join(names[urn] for urn in chain)
            findings.append(
                f"serialized: {second.type} '{second.name}' ({weight[second.urn]:g} min) waits for "
                f"{first.type} '{first.name}' ({weight[first.urn]:g} min) via {route}; "
                "they create in parallel unless this chain is needed (look for a needless depends_on)."
            )
    return tuple(findings)


def _chain_paths(start: str, dependents: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Breadth-first from ``start`` along dependents: a shortest chain to every reachable resource."""
    chains = {start: [start]}
    queue = deque([start])
    while queue:
        urn = queue.popleft()
        for dependent in sorted(dependents.get(urn, ())):
            if dependent not in chains:
                chains[dependent] = [*chains[urn], dependent]
                queue.append(dependent)
    chains.pop(start)
    return chains
