"""The offline plan as Terraform plan JSON, so the scanners teams already run (checkov) read it.

pulumi-aws bridges the Terraform AWS provider, so every resource has a Terraform twin:
its type comes from the table in infra/data/terraform_names.yaml, its attribute names are
the Terraform provider's snake_case names, and single nested objects become one-element
lists as Terraform writes blocks. Which property is a block, a list or a map is read from
the pulumi_aws SDK's own input types; list names that Pulumi pluralized are mapped back
with the same table. A property that takes another resource's output (the plan records
property dependencies) becomes a configuration expression with ``references``, so graph
checks see the connection. Format: https://developer.hashicorp.com/terraform/internals/json-format
(checked 2026-12-02).
"""

from __future__ import annotations

import collections.abc
import importlib
import json
import keyword
import os
import re
import sys
import typing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi import _types

from infra.offline.record import PlannedResource, StackPlan

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "0.0.0+blueprint-export"
"""Not a Terraform run: the marker says so while satisfying readers that require the key."""
PROVIDER = "registry.terraform.io/hashicorp/aws"
REFERENCE_ATTRIBUTES = ("arn", "id", "name", "keyId", "bucket", "dnsName")
"""Outputs tried, in order, when naming which attribute of a dependency a property takes."""
REPO_ROOT = Path(__file__).resolve().parents[2]
_SEQUENCES = (list, collections.abc.Sequence)
_MAPPINGS = (dict, collections.abc.Mapping)


@dataclass(frozen=True)
class TerraformNames:
    types: dict[str, str]
    block_lists: dict[str, dict[str, str]]
    value_lists: dict[str, dict[str, str]]


@cache
def terraform_names() -> TerraformNames:
    data = yaml.safe_load(resources.files("infra").joinpath("data/terraform_names.yaml").read_text(encoding="utf-8"))
    return TerraformNames(data["types"], data["block_lists"], data.get("value_lists", {}))


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def args_class(pulumi_type: str) -> type:
    """The pulumi_aws input class of a resource type (``aws:msk/cluster:Cluster`` -> ``ClusterArgs``).

    Taken from the resource's own module (``__all__``): a nested type of another resource may
    have the same name (``BucketVersioningArgs`` of ``Bucket``), the resource's is then ``...InitArgs``.
    """
    module, class_name = pulumi_type.split(":")[1].split("/")[0], pulumi_type.split(":")[2]
    # A module named like a Python keyword gets a trailing underscore (aws:lambda/... -> pulumi_aws.lambda_).
    module = f"{module}_" if keyword.iskeyword(module) else module
    resource_module = sys.modules[getattr(importlib.import_module(f"pulumi_aws.{module}"), class_name).__module__]
    (name,) = [n for n in resource_module.__all__ if n in (f"{class_name}Args", f"{class_name}InitArgs")]
    cls: type = getattr(resource_module, name)
    return cls


def _field_types(cls: type | None) -> dict[str, Any]:
    return _types.input_type_types(cls) if cls is not None and _types.is_input_type(cls) else {}


def convert_values(value: dict[str, Any], cls: type | None, tf_type: str) -> dict[str, Any]:
    """Pulumi inputs (camelCase) as Terraform values: snake_case names, blocks as lists of objects."""
    names = terraform_names()
    blocks, values = names.block_lists.get(tf_type, {}), names.value_lists.get(tf_type, {})
    field_types = _field_types(cls)
    converted: dict[str, Any] = {}
    for key, item in value.items():
        typ = field_types.get(key)
        origin = typing.get_origin(typ)
        if origin in _MAPPINGS or typ is dict:
            converted[snake_case(key)] = item  # a map attribute (tags): keys are data, not names
        elif origin in _SEQUENCES and isinstance(item, list):
            element = _types.unwrap_type(typing.get_args(typ)[0])
            if _types.is_input_type(element):
                converted[blocks.get(key, snake_case(key))] = [
                    convert_values(entry, element, tf_type) if isinstance(entry, dict) else entry for entry in item
                ]
            else:
                converted[values.get(key, snake_case(key))] = _scalar(item)
        elif isinstance(item, dict):
            converted[snake_case(key)] = [convert_values(item, typ, tf_type)]
        elif isinstance(item, pulumi.FileArchive):
            # pulumi-aws names Terraform's `filename` (a local zip) `code`, an archive (aws_lambda_function).
            converted["filename"] = os.path.relpath(str(item.path), REPO_ROOT)
        else:
            converted[snake_case(key)] = _scalar(item)
    return converted


def _scalar(value: Any) -> Any:
    """Numbers as the provider types them (the engine sends floats), assets as Terraform's arguments."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.FileAsset):
        return os.path.relpath(str(value.path), REPO_ROOT)
    if isinstance(value, pulumi.StringAsset):
        return value.text
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    return value


def _addresses(resources_: list[PlannedResource]) -> dict[str, str]:
    """URN -> unique Terraform address (``aws_msk_cluster.kafka``)."""
    types = terraform_names().types
    taken: set[str] = set()
    addresses = {}
    for resource in resources_:
        name = re.sub(r"[^A-Za-z0-9_-]", "_", resource.name)
        name = name if re.match(r"[A-Za-z_]", name) else f"r_{name}"
        address, n = f"{types[resource.type]}.{name}", 1
        while address in taken:
            n += 1
            address = f"{types[resource.type]}.{name}_{n}"
        taken.add(address)
        addresses[resource.urn] = address
    return addresses


def _reference(value: Any, dependency: PlannedResource, address: str) -> list[str]:
    """Terraform's references for one dependency: ``[address.attribute, address]``."""
    text = json.dumps(value)
    state = {**dependency.outputs, **dependency.inputs}
    for attribute in REFERENCE_ATTRIBUTES:
        candidate = state.get(attribute)
        if isinstance(candidate, str) and len(candidate) > 3 and candidate in text:
            return [f"{address}.{snake_case(attribute)}", address]
    return [address]


def _expressions(
    resource: PlannedResource, addresses: dict[str, str], by_urn: dict[str, PlannedResource]
) -> dict[str, Any]:
    """Only the properties that take another resource's output: literals are in ``values`` already."""
    expressions = {}
    for prop, urns in resource.property_dependencies.items():
        value = resource.inputs.get(prop)
        references = [ref for urn in urns if urn in addresses for ref in _reference(value, by_urn[urn], addresses[urn])]
        if references:
            expressions[snake_case(prop)] = {"references": references}
    return expressions


def terraform_plan(plan: StackPlan) -> dict[str, Any]:
    """The stack's plan as a Terraform plan JSON document (every change a create)."""
    exported = [r for r in plan.custom_resources() if r.type.startswith("aws:")]
    missing = sorted({r.type for r in exported} - terraform_names().types.keys())
    if missing:
        raise KeyError(f"no Terraform type for {', '.join(missing)}: add it to infra/data/terraform_names.yaml")
    addresses = _addresses(exported)
    by_urn = plan.by_urn()
    planned, configured, changes = [], [], []
    for resource in exported:
        address = addresses[resource.urn]
        tf_type, name = address.split(".", 1)
        values = convert_values(
            {k: v for k, v in resource.inputs.items() if not k.startswith("__")}, args_class(resource.type), tf_type
        )
        values.setdefault("region", resource.region)
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        planned.append(
            {**common, "provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": {}}
        )
        referenced = {u for urns in resource.property_dependencies.values() for u in urns}
        depends_on = sorted(addresses[u] for u in set(resource.dependencies) - referenced if u in addresses)
        configuration = {
            **common,
            "provider_config_key": "aws",
            "expressions": _expressions(resource, addresses, by_urn),
            "schema_version": 0,
        }
        if depends_on:
            configuration["depends_on"] = depends_on
        configured.append(configuration)
        changes.append(
            {
                **common,
                "provider_name": PROVIDER,
                "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {}},
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": PROVIDER,
                    "expressions": {"region": {"constant_value": plan.region}},
                }
            },
            "root_module": {"resources": configured},
        },
    }
