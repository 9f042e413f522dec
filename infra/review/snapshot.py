"""Normalized plan snapshots: what a reviewer needs to see change, and nothing volatile.

A snapshot keeps, per resource, its type, parent, options and inputs; it drops the
mock-made outputs and ids, masks secrets (the runtime already did), and writes every
reference to another resource's id or ARN as ``${<resource>.<output>}`` so that a rename
or a re-parented resource reads as what it is rather than as a changed hash. Values are
parsed first (JSON documents, assets), then references replaced by exact value, so the
result depends neither on string prefixes nor on the order the program registered things.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pulumi

from infra.offline.record import StackPlan
from infra.paths import ROOT, SNAPSHOTS
from infra.review import assets
from infra.review.cost import estimate_cost

REFERENCE_OUTPUTS = ("id", "arn", "keyId", "dnsName", "bootstrapBrokersSaslIam", "configurationEndpointAddress")
MIN_REFERENCE = 9  # shorter values (a port, "true", a short name) are too likely to occur by chance
# Characters that continue a name: a known value followed or preceded by one is part of another name.
NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")


def short_urn(urn: str) -> str:
    """``<type>::<name>`` without stack, project and parent-type chain."""
    qualified_type, name = urn.split("::")[-2:]
    return f"{qualified_type.split('$')[-1]}::{name}"


def normalize(plan: StackPlan) -> dict[str, Any]:
    """The snapshot of a plan: the same for the same plan, whichever order the program registered things."""
    references = _reference_map(plan)
    resources = {}
    for resource in plan.resources:
        if resource.type.startswith("pulumi:providers:"):
            entry: dict[str, Any] = {"type": resource.type, "inputs": _parsed(resource.inputs)}
        else:
            entry = {
                "type": resource.type,
                "parent": short_urn(resource.parent)
                if resource.parent and "pulumi:pulumi:Stack" not in resource.parent
                else None,
                "inputs": _symbolic(_parsed(resource.inputs), references),
            }
            options = {
                "protect": resource.protect,
                "ignoreChanges": sorted(resource.ignore_changes),
                "deleteBeforeReplace": resource.delete_before_replace,
                "replaceOnChanges": sorted(resource.replace_on_changes),
                "retainOnDelete": resource.retain_on_delete,
                "customTimeouts": dict(sorted(resource.custom_timeouts.items())),
                "dependsOn": sorted({short_urn(d) for d in resource.dependencies} - {entry["parent"]}),
            }
            entry["options"] = {k: v for k, v in options.items() if v}
        resources[short_urn(resource.urn)] = entry
    return {
        "stack": plan.stack,
        "region": plan.region,
        "monthlyCostUsd": round(estimate_cost(plan).total, 2),
        "config": plan.config,
        "outputs": _symbolic(_parsed(plan.outputs), references),
        "resources": dict(sorted(resources.items())),
    }


def _reference_map(plan: StackPlan) -> dict[str, str]:
    """Output value -> ``${<resource>.<output>}``, independent of registration order.

    When two resources report the same value, the first by short URN (then by the order of
    REFERENCE_OUTPUTS) names it, so shuffling the program's registrations changes nothing.
    """
    references: dict[str, str] = {}
    for resource in sorted(plan.custom_resources(), key=lambda r: (short_urn(r.urn), r.urn)):
        for key in REFERENCE_OUTPUTS:
            value = resource.outputs.get(key) if key not in resource.inputs else None
            chosen_by_us = value in resource.inputs.values()  # e.g. an id that is the name we gave it
            if isinstance(value, str) and len(value) >= MIN_REFERENCE and not chosen_by_us:
                references.setdefault(value, f"${{{short_urn(resource.urn)}.{key}}}")
    return references


def _symbolic(value: Any, references: dict[str, str]) -> Any:
    """References in parsed data: whole strings by exact value, embedded ones at token boundaries."""
    if isinstance(value, str):
        return references.get(value) or _embedded(value, references)
    if isinstance(value, dict):
        return {k: _symbolic(v, references) for k, v in value.items()}
    if isinstance(value, list):
        return [_symbolic(v, references) for v in value]
    return value


def _embedded(text: str, references: dict[str, str]) -> str:
    """Replace known values that sit between token boundaries, longest first (``<arn>/*``, ``key/<id>``).

    A value followed by a name character is not a reference: ``<events arn>-dlq`` is another
    topic's ARN, never ``${events.arn}-dlq``.
    """
    boundaries = [i for i, c in enumerate(text) if c not in NAME_CHARS]
    if not boundaries:
        return text
    ends = [*boundaries, len(text)]
    out, position = [], 0
    for start in [0, *(i + 1 for i in boundaries)]:
        if start < position:
            continue
        end = next((e for e in reversed(ends) if e - start >= MIN_REFERENCE and text[start:e] in references), None)
        if end is not None:
            out += [text[position:start], references[text[start:end]]]
            position = end
    return "".join(out) + text[position:]


def _parsed(value: Any) -> Any:
    """Plain, key-sorted data: assets described, numbers as the program wrote them, JSON strings parsed."""
    if isinstance(value, pulumi.asset.Asset | pulumi.asset.Archive):
        return assets.describe(value, ROOT)
    if isinstance(value, dict):
        return {k: _parsed(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_parsed(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine sends every number as a float
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _parsed(json.loads(value))  # policies and JSON documents: compare structurally
        except json.JSONDecodeError:
            return value
    return value


def snapshot_path(stack: str) -> Path:
    return SNAPSHOTS / f"{stack}.json"


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
