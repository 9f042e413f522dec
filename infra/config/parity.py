"""What a warm-standby pair shares, so the two stacks cannot drift apart.

The standby's stack file holds only what may differ from its primary: region, VPC CIDR, role,
scaled-down compute (ingest tasks, EMR capacity), alarm address. Everything that must match is
*derived*: when the loader reads a secondary, it reads the primary's stack file (``dr.peerStack``,
a stack of this project) and copies the keys below from the primary's validated config. Giving
one of them in the standby's file is an error naming the key and the primary's file.

Why each must match:

* ``workload`` (retention, throughput, partitions, topics): the Replicator copies every record
  with the primary's retention, so the standby's brokers need the storage that retention needs,
  and the program declares the same topics with the same configs in both clusters
  (``infra/components/replication.py``: the program owns topic configs there).
* ``network.azCount``: brokers are a multiple of the AZ count and dead-letter topics get one
  partition per AZ: a different count would change the standby's cluster and topics.
* ``kafka.*`` sizing and version: the same cluster shape takes over the same stream.
* ``cache.*`` engine, version, node type, shards, auth, eviction policy: one Global Datastore;
  its members share them and only the global resource changes them.
* ``storage``: the replicated buckets keep one lifecycle, in both regions.
* ``edge.domainName`` / ``edge.hostedZoneId``, ``ingest.topic`` / ``ingest.ingestPath``: clients fail
  over to the same name, path and topic.
* ``dr.routingControls``: the ARC controls prod creates are the ones the standby reads.

What derivation cannot cover (the pair naming each other, regions and CIDRs crosswise) is checked
by ``check_pair`` whenever both stacks are planned together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.config.problems import PROJECT, Problem, error
from infra.config.schema import StackConfig

INHERITED: tuple[str, ...] = (
    "workload",
    "network.azCount",
    "kafka.kafkaVersion",
    "kafka.sizing",
    "kafka.instanceType",
    "kafka.brokers",
    "kafka.volumeGib",
    "kafka.volumeThroughputMbps",
    "kafka.storageAutoscaling",
    "kafka.diskFillPercent",
    "kafka.scram",
    "cache.engine",
    "cache.engineVersion",
    "cache.nodeType",
    "cache.shards",
    "cache.auth",
    "cache.maxmemoryPolicy",
    "storage",
    "edge.domainName",
    "edge.hostedZoneId",
    "ingest.topic",
    "ingest.ingestPath",
    "dr.routingControls",
)
"""Stack-file keys (dotted, camelCase) a standby takes from its primary and may not set itself."""


# A StackReference needs the fully qualified name (Pulumi docs, "Stack references"; checked 2026-11-26).
PEER_STACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def peer_parts(peer_stack: str) -> tuple[str, str, str] | None:
    """``(org, project, stack)`` of a fully qualified stack name, None when it is not one."""
    if not PEER_STACK.match(peer_stack):
        return None
    org, project, stack = peer_stack.split("/")
    return org, project, stack


def peer_problems(peer_stack: str | None, stack: str, stacks: list[str], *, secondary: bool) -> list[Problem]:
    """``dr.peerStack`` must name ANOTHER stack of THIS project that has a stack file: names of buckets,
    vaults and keys derive from it, and a typo would derive names that never exist. A secondary
    must name one: it reads its primary's outputs and inherits its config."""
    if peer_stack is None:
        message = "a secondary stack reads its primary's outputs and inherits its config: name it as org/project/stack"
        return [error("dr.peerStack", None, message)] if secondary else []
    parts = peer_parts(peer_stack)
    if parts is None:
        return [error("dr.peerStack", peer_stack, "must be a fully qualified stack name: <org>/<project>/<stack>")]
    _, project, name = parts
    if project != PROJECT:
        return [error("dr.peerStack", peer_stack, f"names project '{project}': the peer is a stack of {PROJECT}")]
    if name == stack:
        return [error("dr.peerStack", peer_stack, "names this stack: the peer is the other stack of the pair")]
    if name not in stacks:
        message = f"names no stack file of this project (stacks/Pulumi.{name}.yaml); stacks: {', '.join(stacks)}"
        return [error("dr.peerStack", peer_stack, message)]
    return []


def get_path(document: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """``(found, value)`` of a dotted key in a nested mapping."""
    node: Any = document
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def set_path(document: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = document
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[last] = value


def inherit(ours: Mapping[str, Any], primary: StackConfig, primary_file: str) -> tuple[dict[str, Any], list[Problem]]:
    """The standby's stack-file values with every INHERITED key taken from the primary's config.

    A key the standby's file sets itself is an error (it would be silently replaced otherwise).
    """
    derived = primary.model_dump(mode="json", by_alias=True)
    merged = {key: dict(value) if isinstance(value, Mapping) else value for key, value in ours.items()}
    problems: list[Problem] = []
    message = (
        f"comes from the primary: set it in {primary_file} (dr.peerStack), the standby inherits it "
        "so the pair cannot drift apart; remove it here"
    )
    for key in INHERITED:
        given, value = get_path(ours, key)
        if given and isinstance(value, Mapping) and "." not in key:  # a whole section: name each key in it
            problems.extend(error(f"{key}.{name}", item, message) for name, item in value.items())
        elif given:
            problems.append(error(key, value, message))
        set_path(merged, key, get_path(derived, key)[1])
    if ours.get("tier") != primary.tier:
        problems.append(
            error("tier", ours.get("tier"), f"must be the primary's tier '{primary.tier}' ({primary_file})")
        )
    return merged, problems


def check_pair(primary: StackConfig, primary_file: str, standby: StackConfig, standby_file: str) -> list[Problem]:
    """What derivation cannot make equal: both stacks name each other, regions and CIDRs crosswise.

    Problems are the standby's (its file is where the pair is declared); each names both files and keys.
    """
    problems: list[Problem] = []
    peer = peer_parts(primary.dr.peer_stack or "")
    if peer is None or peer[2] != standby.stack:
        problems.append(
            error(
                "dr.peerStack",
                standby.dr.peer_stack,
                f"names {primary.stack} as its primary, but dr.peerStack in {primary_file} is "
                f"{primary.dr.peer_stack!r}: the two stacks of a pair name each other",
            )
        )
    crosswise = (
        ("dr.region", standby.dr.region, "aws:region", primary.region),
        ("aws:region", standby.region, "dr.region", primary.dr.region),
        ("dr.peerCidr", standby.dr.peer_cidr, "network.cidr", primary.network.cidr),
        ("network.cidr", standby.network.cidr, "dr.peerCidr", primary.dr.peer_cidr),
    )
    for key, value, primary_key, expected in crosswise:
        if value != expected:
            message = f"must equal {primary_key} in {primary_file} ({expected!r}): the pair's two halves disagree"
            problems.append(error(key, value, message))
    return problems
