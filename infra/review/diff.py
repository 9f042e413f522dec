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


# Keys that name an item of a list of objects (a WAF rule, a policy statement, a dashboard
# widget), so a change reads as `rules[name=x].priority` and an insertion re-indexes nothing.
IDENTITY_KEYS = ("name", "Name", "Sid", "id", "Id", "properties.title")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaf values, so nested changes read as paths.

    List items are addressed by identity where they have one: members of a set (options,
    references and ARNs) by value, `path[member]`; objects by a unique name-like key,
    `path[key=value]`; everything else by index.
    """
    return _walk(value, prefix)[0]


def _walk(value: Any, prefix: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """(leaves, list items): flatten's paths, and every list item's path with its whole value."""
    leaves: dict[str, Any] = {}
    items: dict[str, Any] = {}
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _merge((leaves, items), _walk(sub, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value:
        if _is_set(prefix, value):
            return {f"{prefix}[{member}]": member for member in value}, {}
        for label, sub in zip(_item_labels(value), value, strict=True):
            items[f"{prefix}[{label}]"] = sub
            _merge((leaves, items), _walk(sub, f"{prefix}[{label}]"))
    else:
        leaves[prefix] = value
    return leaves, items


def _merge(into: tuple[dict[str, Any], dict[str, Any]], found: tuple[dict[str, Any], dict[str, Any]]) -> None:
    into[0].update(found[0])
    into[1].update(found[1])


def added_or_removed(path: str, was: Any, now: Any) -> tuple[str, str, Any] | None:
    """(path to show, "added" | "removed", value) when a change adds or removes a list item.

    A set member shows under its list's path (`options.dependsOn: added x`), a whole item
    under its own (`rules[name=log4j]: added {...}`).
    """
    value = now if was is None else was
    if (was is None) == (now is None) or not path.endswith("]"):
        return None
    verb = "added" if was is None else "removed"
    if isinstance(value, str) and path.endswith(f"[{value}]"):
        return path[: -len(value) - 2], verb, value
    return path, verb, value


def _is_set(path: str, items: list[Any]) -> bool:
    """Lists whose order means nothing: resource options, and lists of references or ARNs."""
    if not all(isinstance(item, str) for item in items) or len(set(items)) != len(items):
        return False
    return path.startswith("options.") or all(item.startswith(("${", "arn:")) for item in items)


def _item_labels(items: list[Any]) -> list[str]:
    """`key=value` for an object whose name-like key is unique in the list, else its index."""
    identities = [_identity(item) for item in items]
    return [
        f"{identity[0].rsplit('.', 1)[-1]}={identity[1]}"
        if identity and identities.count(identity) == 1
        else str(index)
        for index, identity in enumerate(identities)
    ]


def _identity(item: Any) -> tuple[str, str | int] | None:
    for key in IDENTITY_KEYS:
        value = _lookup(item, key)
        if isinstance(value, str | int):
            return key, value
    return None


def _lookup(item: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _property_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Changed leaves; a list item present on one side only is one change with its whole value."""
    (flat_before, items_before), (flat_after, items_after) = _walk(before), _walk(after)
    paths = set(flat_before) | set(flat_after)
    changes: dict[str, tuple[str, Any, Any]] = {}
    for path in sorted(paths):
        if flat_before.get(path) == flat_after.get(path) or _filled_in(path, flat_before, flat_after, paths):
            continue
        whole = _whole_item(path, items_before, items_after) or _whole_item(path, items_after, items_before)
        if whole is None:
            changes[path] = (path, flat_before.get(path), flat_after.get(path))
        elif whole not in changes:
            changes[whole] = (whole, items_before.get(whole), items_after.get(whole))
    return sorted(changes.values(), key=lambda change: change[0])


def _whole_item(path: str, present: dict[str, Any], absent: dict[str, Any]) -> str | None:
    """The outermost list item holding `path` that only one side has."""
    ends = (i + 1 for i, c in enumerate(path) if c == "]")
    return next((path[:end] for end in ends if path[:end] in present and path[:end] not in absent), None)


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
    changes = sorted(predict(changes, before, after, head), key=lambda change: change.resource)
    config_changes = _property_changes(before.get("config", {}), after.get("config", {}))
    risks = assess_risks(changes, new, after["stack"]) + _dr_config_risks(config_changes, after["stack"])
    return StackDiff(after["stack"], changes, risks, config_changes)


def action(change: Change) -> str:
    """What `pulumi up` would do to the resource, as the replacement engine predicted it (replacement.py):
    create, update, replace, delete, or update or replace (unknown) where the provider's data is missing.
    """
    return change.action or {"add": "create", "remove": "delete"}.get(change.kind, "update")


def assess_risks(changes: list[Change], new: dict[str, Any], stack: str) -> list[str]:
    """Every change's risks (also kept on the change), in order, each once."""
    for change in changes:
        change.risks = _unique(_change_risks(change, new, stack))
    return _unique([risk for change in changes for risk in change.risks])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _change_risks(change: Change, new: dict[str, Any], stack: str) -> list[str]:
    risks: list[str] = []
    label = STATEFUL_TYPES.get(change.type)
    if change.kind == "remove" and label:
        risks.append(f"DELETE stateful {label} `{change.resource}`: its data is lost unless retained or backed up")
    if change.kind == "remove" and change.type in DR_TYPES:
        risks.append(f"DR PATH LOST: {DR_TYPES[change.type]} `{change.resource}` removed from {stack}")
    if change.kind == "add":
        risks += _open_ingress(change.resource, new[change.resource])
    if change.kind != "update":
        return risks
    if label and change.action == REPLACE:
        risks.append(f"REPLACE stateful {label} `{change.resource}`: {'; '.join(change.reasons)}")
    if label and change.action == UNKNOWN:
        risks.append(f"MAY REPLACE stateful {label} `{change.resource}`: no replacement data for {change.type}")
    for path, was, now in _leaves(change.properties):
        field_path = path.removeprefix("inputs.")
        if path == "options.protect" and was and not now:
            risks.append(f"PROTECTION REMOVED from `{change.resource}` ({change.type})")
        if path.startswith("inputs.") and field_path.split(".")[-1] in PROTECTION_INPUTS and was is True and not now:
            risks.append(f"DELETION PROTECTION REMOVED: `{change.resource}` `{field_path}` {was!r} -> {now!r}")
        for suffix, weaker in WEAKENING:
            if field_path.endswith(suffix) and now in weaker and was not in weaker:
                risks.append(f"ENCRYPTION/TLS WEAKENED: `{change.resource}` `{field_path}` {was!r} -> {now!r}")
        if field_path.endswith("sslPolicy") and "TLS13" in str(was) and "TLS13" not in str(now):
            risks.append(f"ENCRYPTION/TLS WEAKENED: `{change.resource}` TLS policy {was!r} -> {now!r}")
        if now in OPEN_CIDRS and was not in OPEN_CIDRS and _is_ingress(change.type, field_path):
            risks.append(f"INGRESS OPENED to {now} on `{change.resource}` ({field_path})")
    return risks


def _leaves(properties: list[tuple[str, Any, Any]]) -> list[tuple[str, Any, Any]]:
    """Property changes down to leaf values: a whole added item (an ingress rule) is checked field by field."""
    out = []
    for path, was, now in properties:
        if not isinstance(was, dict | list) and not isinstance(now, dict | list):
            out.append((path, was, now))
            continue
        before = flatten(was, path) if was is not None else {}
        after = flatten(now, path) if now is not None else {}
        out += [(leaf, before.get(leaf), after.get(leaf)) for leaf in sorted(set(before) | set(after))]
    return out


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
