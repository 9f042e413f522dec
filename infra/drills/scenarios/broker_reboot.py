"""`broker-reboot`: reboot one MSK broker and prove the cluster serves on with no acknowledged write lost.

MSK has no FIS action (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html,
checked 2026-12-02): the fault is ``kafka:RebootBroker``. With replication
factor 3 and min.insync.replicas 2 (RF 2 / 1 in dev) producers using acks=all keep writing
while the broker is down; partitions it led move to other brokers, so the under-replicated
alarms fire and clear. Nothing to roll back: the broker comes back by itself.
"""

from __future__ import annotations

from infra.drills.calls import Call
from infra.drills.model import DrillContext, Facts, PreconditionError, Record, Scenario, Step, Verdict
from infra.drills.scenarios.common import (
    canary_metrics_step,
    canary_seen,
    canary_verify_step,
    canary_write_step,
    cluster_state,
    detect_step,
    drill_alarms,
    own,
)


def _preflight(ctx: DrillContext) -> Facts:
    arn = ctx.out("kafkaClusterArn")
    state = cluster_state(ctx)
    if state != "ACTIVE":
        raise PreconditionError(f"cluster {ctx.out('kafkaClusterName')} is {state}, not ACTIVE")
    nodes = ctx.clients("kafka", ctx.region).list_nodes(ClusterArn=arn)["NodeInfoList"]
    brokers = sorted(int(node["BrokerNodeInfo"]["BrokerId"]) for node in nodes if "BrokerNodeInfo" in node)
    wanted = int(ctx.options.get("broker") or brokers[0])
    if wanted not in brokers:
        raise PreconditionError(f"broker {wanted} is not in cluster {ctx.out('kafkaClusterName')} (brokers: {brokers})")
    return {"clusterArn": arn, "brokers": brokers, "broker": wanted}


def _rebooting(ctx: DrillContext) -> str | None:
    state = cluster_state(ctx)
    return f"cluster state {state}" if state == "REBOOTING_BROKER" else None


def _back(ctx: DrillContext, _: Record) -> Verdict:
    state = cluster_state(ctx)
    return Verdict(state == "ACTIVE", f"cluster state {state}", failed=state == "FAILED")


def steps(ctx: DrillContext) -> list[Step]:
    return [
        Step(
            "preflight",
            "preflight",
            "cluster ACTIVE, broker exists, cluster tagged with the stack",
            10,
            prepare=_preflight,
            targets=lambda c, f: [own(c, f["clusterArn"])],
        ),
        canary_write_step(),
        Step(
            "reboot-broker",
            "fault",
            "reboot one broker (kafka:RebootBroker)",
            10,
            prepare=lambda c: {
                "clusterArn": c.out("kafkaClusterArn"),
                "broker": c.recorded("preflight", "facts", "broker"),
            },
            targets=lambda c, f: [own(c, f["clusterArn"])],
            calls=lambda c, f: [
                Call(
                    "kafka",
                    "reboot_broker",
                    c.region,
                    {"ClusterArn": f["clusterArn"], "BrokerIds": [str(f["broker"])]},
                    key="reboot",
                )
            ],
        ),
        detect_step(
            "the cluster reports REBOOTING_BROKER, an under-replicated alarm fires or the canary sees a failure",
            lambda c: _rebooting(c) or canary_seen(c, "kafka"),
            alarms=lambda c: drill_alarms(c, "broker-reboot"),
            timeout=300,
            poll=10,
            expected_seconds=60,
        ),
        Step(
            "broker-back",
            "recover",
            "the broker rejoins: cluster ACTIVE again",
            900,
            verify=_back,
            timeout_seconds=1800,
            poll_seconds=30,
        ),
        canary_metrics_step(("kafka",)),
        canary_verify_step(summary="every canary written before the reboot is on the topic"),
    ]


SCENARIO = Scenario(
    "broker-reboot",
    "reboot one MSK broker; the cluster keeps serving and loses nothing",
    steps,
    canary_stores=("kafka",),
)
