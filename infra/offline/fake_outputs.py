"""Realistic outputs the mock runtime returns for each resource type.

Without them every output the program reads (ARNs, endpoints, DNS names) would be None,
and the inputs built from them would silently vanish from the plan. Each entry maps a
type token to a function of (logical name, inputs, context) returning the extra outputs;
every resource also gets ``id``, ``arn`` and its inputs echoed back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class FakeContext:
    region: str
    account_id: str = ACCOUNT_ID

    def short_id(self, name: str, length: int = 8) -> str:
        """A stable pseudo-random id so plans are reproducible run to run."""
        return hashlib.sha256(f"{self.region}/{name}".encode()).hexdigest()[:length]


Fake = Callable[[str, dict[str, Any], FakeContext], dict[str, Any]]

# AWS service namespace per type-token module, where it differs from the module name.
_SERVICE = {"ec2": "ec2", "lb": "elasticloadbalancing", "cloudwatch": "cloudwatch", "emr": "elasticmapreduce",
            "msk": "kafka", "appautoscaling": "application-autoscaling", "ecs": "ecs", "vpc": "ec2",
            "wafv2": "wafv2", "backup": "backup", "route53": "route53", "cloudwatchlogs": "logs"}  # fmt: skip


def generic(type_token: str, name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """id and arn for any AWS resource, derived from its type and name."""
    module = type_token.split(":")[1].split("/")[0]
    kind = type_token.rsplit(":", 1)[1]
    resource_name = inputs.get("name") or f"{name}-{ctx.short_id(name, 6)}"
    service = _SERVICE.get(module, module)
    return {
        "id": f"{kind[:4].lower()}-{ctx.short_id(type_token + name, 17)}",
        "arn": f"arn:aws:{service}:{ctx.region}:{ctx.account_id}:{kind.lower()}/{resource_name}",
    }


def _az_names(region: str) -> list[str]:
    return [f"{region}{suffix}" for suffix in "abcdef"]


def _vpc(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"defaultSecurityGroupId": f"sg-default{ctx.short_id(name, 9)}", "mainRouteTableId": f"rtb-{ctx.short_id(name + 'main', 17)}"}


def _subnet(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": f"subnet-{ctx.short_id(name, 17)}"}


def _security_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": f"sg-{ctx.short_id(name, 17)}"}


def _kms_key(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    key_id = f"{ctx.short_id(name, 8)}-{ctx.short_id(name + '1', 4)}-4{ctx.short_id(name + '2', 3)}-8{ctx.short_id(name + '3', 3)}-{ctx.short_id(name + '4', 12)}"
    return {"id": key_id, "keyId": key_id, "arn": f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{key_id}"}


def _log_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    group = inputs.get("name", name)
    return {"id": group, "arn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group}"}


def _iam_role(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    role = inputs.get("name", name)
    return {"id": role, "arn": f"arn:aws:iam::{ctx.account_id}:role/{role}", "uniqueId": f"AROA{ctx.short_id(name, 16).upper()}"}


def _bucket(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    bucket = inputs.get("bucket", name)
    return {
        "id": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
        "region": inputs.get("region", ctx.region),
    }


FAKES: dict[str, Fake] = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:s3/bucket:Bucket": _bucket,
}


def invoke_result(token: str, args: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """Results of the data-source calls the program makes, shaped like the real ones."""
    region = args.get("region") or ctx.region
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        names = _az_names(region)
        return {"names": names, "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{i + 1}" for i in range(len(names))],
                "id": region, "region": region}  # fmt: skip
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {"accountId": ctx.account_id, "arn": f"arn:aws:iam::{ctx.account_id}:user/ci", "userId": "AIDAEXAMPLE", "id": ctx.account_id}
    if token == "aws:index/getRegion:getRegion":
        return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com", "description": region}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    raise NotImplementedError(f"the mock runtime has no result for invoke {token}: add one in infra/offline/fake_outputs.py")
