"""The offline plan's record: every resource the program registered, as the engine saw it.

This is the contract between the mock runtime (which fills it) and everything that
reads a plan: the renderer, cost and critical-path planners, the policy pack, the
snapshot diff and the runbook renderer. Property names in ``inputs`` and ``outputs``
are the engine's camelCase names, exactly what `pulumi preview --json` would show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
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
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input name -> URNs its value came from (the replacement engine follows them)."""
    # Resource options, at Pulumi's defaults unless the program set them.
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    replace_on_changes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
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


# --------------------------------------------------------------------- as a JSON document

ASSET_TAG = "$asset"
"""Key of the JSON object that stands for a Pulumi asset or archive in a plan document."""


def plan_to_document(plan: StackPlan, root: Path | None = None) -> dict[str, Any]:
    """The plan as JSON-ready data; file assets under ``root`` are written relative to it.

    Relative paths are what let a plan made in another checkout (a base revision under /tmp)
    compare with this one's: plan_from_document resolves them against the reader's root.
    """
    resources = [{f.name: _encode(getattr(r, f.name), root) for f in fields(r)} for r in plan.resources]
    document = {f.name: getattr(plan, f.name) for f in fields(plan) if f.name != "resources"}
    return {**_encode(document, root), "resources": resources}


def plan_from_document(document: dict[str, Any], root: Path | None = None) -> StackPlan:
    """The inverse of plan_to_document: tuples, assets and absolute paths (under ``root``) restored."""
    resources = []
    for entry in document["resources"]:
        values = {name: _decode(entry[name], root) for name in _RESOURCE_FIELDS if name in entry}
        for name in _TUPLE_FIELDS:
            values[name] = tuple(values[name])
        values["property_dependencies"] = {k: tuple(v) for k, v in values["property_dependencies"].items()}
        resources.append(PlannedResource(**values))
    plan_fields = {f.name for f in fields(StackPlan)} - {"resources"}
    values = {name: _decode(document[name], root) for name in plan_fields if name in document}
    return StackPlan(**values, resources=resources)


_RESOURCE_FIELDS = tuple(f.name for f in fields(PlannedResource))
_TUPLE_FIELDS = ("dependencies", "ignore_changes", "replace_on_changes", "aliases")


def _encode(value: Any, root: Path | None) -> Any:
    if isinstance(value, dict):
        return {key: _encode(item, root) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item, root) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    import pulumi  # only a plan that holds assets needs the SDK here

    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        path = Path(value.path)
        if root is not None and path.is_absolute() and path.is_relative_to(root):
            return {ASSET_TAG: type(value).__name__, "relativePath": path.relative_to(root).as_posix()}
        return {ASSET_TAG: type(value).__name__, "path": str(value.path)}
    if isinstance(value, pulumi.StringAsset):
        return {ASSET_TAG: "StringAsset", "text": value.text}
    if isinstance(value, pulumi.RemoteAsset | pulumi.RemoteArchive):
        return {ASSET_TAG: type(value).__name__, "uri": value.uri}
    if isinstance(value, pulumi.AssetArchive):
        return {ASSET_TAG: "AssetArchive", "assets": {k: _encode(v, root) for k, v in value.assets.items()}}
    raise TypeError(f"a plan cannot hold {type(value).__name__}: {value!r}")


def _decode(value: Any, root: Path | None) -> Any:
    if isinstance(value, list):
        return [_decode(item, root) for item in value]
    if not isinstance(value, dict):
        return value
    if ASSET_TAG not in value:
        return {key: _decode(item, root) for key, item in value.items()}
    import pulumi

    kind = value[ASSET_TAG]
    if kind in ("FileAsset", "FileArchive"):
        relative = value.get("relativePath")
        path = str((root or Path.cwd()) / relative) if relative is not None else value["path"]
        return pulumi.FileAsset(path) if kind == "FileAsset" else pulumi.FileArchive(path)
    if kind == "StringAsset":
        return pulumi.StringAsset(value["text"])
    if kind in ("RemoteAsset", "RemoteArchive"):
        return pulumi.RemoteAsset(value["uri"]) if kind == "RemoteAsset" else pulumi.RemoteArchive(value["uri"])
    if kind == "AssetArchive":
        return pulumi.AssetArchive({k: _decode(v, root) for k, v in value["assets"].items()})
    raise ValueError(f"unknown asset kind in a plan document: {kind}")
