"""Normalized plan snapshots: what a reviewer needs to see change, and nothing volatile.

A snapshot keeps, per resource, its type, parent, options and inputs; it drops the
mock-made outputs and ids, masks secrets (the runtime already did), and writes every
reference to another resource's id or ARN as ``${<resource>.<output>}`` so that a rename
or a re-parented resource reads as what it is rather than as a changed hash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.offline.record import StackPlan
from infra.planning.cost import estimate_cost

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "tests" / "snapshots"
REFERENCE_OUTPUTS = ("id", "arn", "keyId", "dnsName", "bootstrapBrokersSaslIam", "configurationEndpointAddress")


def short_urn(urn: str) -> str:
    """``<type>::<name>`` without stack, project and parent-type chain."""
    qualified_type, name = urn.split("::")[-2:]
    return f"{qualified_type.split('$')[-1]}::{name}"


def normalize(plan: StackPlan) -> dict[str, Any]:
    references = _reference_map(plan)
    resources = {}
    for resource in plan.resources:
        if resource.type.startswith("pulumi:providers:"):
            entry: dict[str, Any] = {"type": resource.type, "inputs": _sorted(resource.inputs)}
        else:
            entry = {
                "type": resource.type,
                "parent": short_urn(resource.parent)
                if resource.parent and "pulumi:pulumi:Stack" not in resource.parent
                else None,
                "inputs": _sorted(_symbolic(resource.inputs, references)),
            }
            options = {
                "protect": resource.protect,
                "ignoreChanges": sorted(resource.ignore_changes),
                "deleteBeforeReplace": resource.delete_before_replace,
                "replaceOnChanges": sorted(resource.replace_on_changes),
                "retainOnDelete": resource.retain_on_delete,
                "dependsOn": sorted({short_urn(d) for d in resource.dependencies} - {entry["parent"]}),
            }
            entry["options"] = {k: v for k, v in options.items() if v}
        resources[short_urn(resource.urn)] = entry
    return {
        "stack": plan.stack,
        "region": plan.region,
        "monthlyCostUsd": round(estimate_cost(plan).total, 2),
        "config": plan.config,
        "outputs": _sorted(_symbolic(plan.outputs, references)),
        "resources": dict(sorted(resources.items())),
    }


def _reference_map(plan: StackPlan) -> dict[str, str]:
    references: dict[str, str] = {}
    for resource in plan.custom_resources():
        for key in REFERENCE_OUTPUTS:
            value = resource.outputs.get(key) if key not in resource.inputs else None
            if isinstance(value, str) and len(value) > 8:
                references.setdefault(value, f"${{{short_urn(resource.urn)}.{key}}}")
    return references


def _symbolic(value: Any, references: dict[str, str]) -> Any:
    if isinstance(value, str):
        if value in references:
            return references[value]
        for literal, symbol in references.items():
            if literal in value and len(literal) > 12:
                value = value.replace(literal, symbol)
        return value
    if isinstance(value, dict):
        return {k: _symbolic(v, references) for k, v in value.items()}
    if isinstance(value, list):
        return [_symbolic(v, references) for v in value]
    return value


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine sends every number as a float
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _sorted(json.loads(value))  # policies and JSON documents: compare structurally
        except json.JSONDecodeError:
            return value
    return value


def snapshot_path(stack: str) -> Path:
    return SNAPSHOT_DIR / f"{stack}.json"


def dump(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=1, sort_keys=False) + "\n"


def load(stack: str) -> dict[str, Any] | None:
    path = snapshot_path(stack)
    return json.loads(path.read_text()) if path.exists() else None


def write(snapshot: dict[str, Any]) -> Path:
    path = snapshot_path(snapshot["stack"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(snapshot))
    return path
