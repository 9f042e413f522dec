"""What a change does to a stack: resources added, removed and changed, risky changes first.

Works on normalized snapshots (snapshot.py), so the same code reviews a pull request
(`blueprint diff --base main`) and explains a failing snapshot test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infra.review.changes import Change
from infra.review.replacement import REPLACE, UNKNOWN, predict

if TYPE_CHECKING:
    from infra.offline.record import StackPlan

# Resource types that hold data or identity: replacing or deleting one loses it.
STATEFUL_TYPES = {
    "aws:msk/cluster:Cluster": "MSK cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache replication group",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": "ElastiCache Global Datastore",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:kms/key:Key": "KMS key",
    "aws:backup/vault:Vault": "backup vault",
    "aws:emr/cluster:Cluster": "EMR cluster",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:secretsmanager/secret:Secret": "secret",
}
PROTECTION_INPUTS = ("enableDeletionProtection", "terminationProtection", "deletionProtection")
# (path suffix, weaker values): a change to one of these values weakens encryption or TLS.
WEAKENING = (
    ("atRestEncryptionEnabled", (False, None)),
    ("transitEncryptionEnabled", (False, None)),
    ("enableKeyRotation", (False, None)),
    ("encryptionInTransit.clientBroker", ("TLS_PLAINTEXT", "PLAINTEXT")),
    ("encryptionInTransit.inCluster", (False,)),
    ("sseAlgorithm", ("AES256", None)),
    ("kmsKeyId", (None,)),
    ("encryptionAtRestKmsKeyArn", (None,)),
    ("protocol", ("HTTP", "TCP")),
    ("unauthenticated", (True,)),
)
DR_TYPES = {
    "aws:msk/replicator:Replicator": "MSK Replicator",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": "Global Datastore",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "S3 replication",
    "aws:backup/plan:Plan": "AWS Backup plan",
    "aws:route53/record:Record": "Route 53 failover record",
}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


@dataclass
class StackDiff:
    stack: str
    changes: list[Change]
    risks: list[str]
    config_changes: list[tuple[str, Any, Any]]

    @property
    def empty(self) -> bool:
        return not self.changes and not self.config_changes


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaf values (lists indexed), so nested changes read as paths."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, sub in enumerate(value):
            out.update(flatten(sub, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _property_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    flat_before, flat_after = flatten(before), flatten(after)
    paths = set(flat_before) | set(flat_after)
    return [
        (path, flat_before.get(path), flat_after.get(path))
        for path in sorted(paths)
        if flat_before.get(path) != flat_after.get(path) and not _filled_in(path, flat_before, flat_after, paths)
    ]


def _filled_in(path: str, flat_before: dict[str, Any], flat_after: dict[str, Any], paths: set[str]) -> bool:
    """An empty ``{}``/``[]`` on one side whose entries the other side lists: those entries are the change."""
    sides = (flat_before.get(path), flat_after.get(path))
    empty_on_one_side = any(v in ({}, []) for v in sides) and (path not in flat_before or path not in flat_after)
    return empty_on_one_side and any(p.startswith((f"{path}.", f"{path}[")) for p in paths)


def diff_snapshots(before: dict[str, Any], after: dict[str, Any], head: StackPlan | None = None) -> StackDiff:
    """The change from `before` to `after` (normalized snapshots); `head` is the plan `after` was made from."""
    old, new = before["resources"], after["resources"]
    changes: list[Change] = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changes.append(Change(name, new[name]["type"], "add"))
        elif name not in new:
            changes.append(Change(name, old[name]["type"], "remove"))
        else:
            props = _property_changes(old[name], new[name])
            if props:
                changes.append(Change(name, new[name]["type"], "update", props))
    changes = predict(changes, before, after, head)
    config_changes = _property_changes(before.get("config", {}), after.get("config", {}))
    risks = assess_risks(changes, old, new, after["stack"]) + _dr_config_risks(config_changes, after["stack"])
    return StackDiff(after["stack"], changes, risks, config_changes)


def assess_risks(changes: list[Change], old: dict[str, Any], new: dict[str, Any], stack: str) -> list[str]:
    risks: list[str] = []
    for change in changes:
        label = STATEFUL_TYPES.get(change.type)
        if change.kind == "remove" and label:
            risks.append(f"DELETE stateful {label} `{change.resource}`: its data is lost unless retained or backed up")
        if change.kind == "remove" and change.type in DR_TYPES:
            risks.append(f"DR PATH LOST: {DR_TYPES[change.type]} `{change.resource}` removed from {stack}")
        if change.kind == "add":
            risks += _open_ingress(change.resource, new[change.resource])
        if change.kind != "update":
            continue
        if label and change.action == REPLACE:
            risks.append(f"REPLACE stateful {label} `{change.resource}`: {'; '.join(change.reasons)}")
        if label and change.action == UNKNOWN:
            risks.append(f"MAY REPLACE stateful {label} `{change.resource}`: no replacement data for {change.type}")
        for path, was, now in change.properties:
            field_path = path.removeprefix("inputs.")
            if path == "options.protect" and was and not now:
                risks.append(f"PROTECTION REMOVED from `{change.resource}` ({change.type})")
            if (
                path.startswith("inputs.")
                and field_path.split(".")[-1] in PROTECTION_INPUTS
                and was is True
                and not now
            ):
                risks.append(f"DELETION PROTECTION REMOVED: `{change.resource}` `{field_path}` {was!r} -> {now!r}")
            for suffix, weaker in WEAKENING:
                if field_path.endswith(suffix) and now in weaker and was not in weaker:
                    risks.append(f"ENCRYPTION/TLS WEAKENED: `{change.resource}` `{field_path}` {was!r} -> {now!r}")
            if field_path.endswith("sslPolicy") and "TLS13" in str(was) and "TLS13" not in str(now):
                risks.append(f"ENCRYPTION/TLS WEAKENED: `{change.resource}` TLS policy {was!r} -> {now!r}")
            if now in OPEN_CIDRS and was not in OPEN_CIDRS and _is_ingress(change.type, field_path):
                risks.append(f"INGRESS OPENED to {now} on `{change.resource}` ({field_path})")
    return sorted(set(risks), key=risks.index)


def _is_ingress(type_token: str, path: str) -> bool:
    return type_token.endswith("SecurityGroupIngressRule") or "ingress" in path.lower()


def _open_ingress(name: str, entry: dict[str, Any]) -> list[str]:
    inputs = entry.get("inputs", {})
    found = [
        f"INGRESS OPENED to {cidr} on new `{name}` ({path})"
        for path, cidr in flatten(inputs).items()
        if cidr in OPEN_CIDRS and _is_ingress(entry["type"], path)
    ]
    return found


STRATEGY_ORDER = ("none", "backup-restore", "warm-standby")


def _dr_config_risks(config_changes: list[tuple[str, Any, Any]], stack: str) -> list[str]:
    risks = []
    for path, was, now in config_changes:
        weaker = (
            was in STRATEGY_ORDER and now in STRATEGY_ORDER and STRATEGY_ORDER.index(now) < STRATEGY_ORDER.index(was)
        )
        if path == "dr.strategy" and weaker:
            risks.append(f"DR PATH LOST: {stack} DR strategy {was!r} -> {now!r}")
    return risks
