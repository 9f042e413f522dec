"""The offline plan's record: every resource the program registered, as the engine saw it.

This is the contract between the mock runtime (which fills it) and everything that
reads a plan: the renderer, cost and critical-path planners, the policy pack, the
snapshot diff and the runbook renderer. Property names in ``inputs`` and ``outputs``
are the engine's camelCase names, exactly what `pulumi preview --json` would show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedResource:
    """One registered resource (custom or component)."""

    urn: str
    type: str
    """Type token, e.g. ``aws:msk/cluster:Cluster`` or ``streaming:network:Network``."""
    name: str
    """Logical name as given to the constructor."""
    custom: bool
    """False for ComponentResources (and providers are custom)."""
    parent: str | None
    """URN of the parent; None only for children of the root stack."""
    provider: str | None
    """Provider reference (``urn::id``) when one was set explicitly or inherited."""
    region: str
    """Region the resource lives in (per-resource ``region`` input, else the stack's)."""
    dependencies: tuple[str, ...]
    """URNs this resource waits for (explicit ``depends_on`` plus input dependencies)."""
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    ignore_changes: tuple[str, ...]
    delete_before_replace: bool
    retain_on_delete: bool
    replace_on_changes: tuple[str, ...]
    aliases: tuple[str, ...]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    resource_id: str | None = None
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    """The ``custom_timeouts`` option: operation (create, update, delete) -> duration like ``210m``."""


@dataclass
class StackPlan:
    """The whole plan of one stack: its config, every resource and the stack outputs."""

    project: str
    stack: str
    region: str
    config: dict[str, Any]
    """The validated configuration (snake_case model dump) the program ran with."""
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Messages the program logged at warning level (e.g. dev without a certificate)."""

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> PlannedResource:
        """The single resource of a type; raises when there are none or several."""
        found = self.of_type(type_token)
        if len(found) != 1:
            raise LookupError(f"{self.stack}: expected one {type_token}, found {len(found)}")
        return found[0]

    def custom_resources(self) -> Iterator[PlannedResource]:
        return (r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:"))

    def components(self) -> list[PlannedResource]:
        return [r for r in self.resources if not r.custom]

    def children_of(self, urn: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == urn]

    def component_of(self, resource: PlannedResource) -> PlannedResource | None:
        """The nearest enclosing ComponentResource of a resource."""
        index = self.by_urn()
        parent = index.get(resource.parent) if resource.parent else None
        while parent is not None and parent.custom:
            parent = index.get(parent.parent) if parent.parent else None
        return parent

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.custom_resources())
