"""`az-outage`: start the stack's AWS FIS experiment for one AZ and prove the service rides it out.

The experiment (infra/components/chaos.py) cuts the AZ's private subnets off and powers
off the cache nodes there for its duration. Recovery is the service healthy again while
the AZ is still out: the ingest service back at its desired count in the other AZs and the
cache available with promoted primaries. FIS stops the experiment itself when a guard
alarm fires (stop condition); the runner reads the experiment's state and treats that
stop like its own. Rollback stops a still-running experiment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.drills.calls import Arn, Call
from infra.drills.guard import StopConditionError
from infra.drills.model import DrillContext, Facts, PreconditionError, Record, Scenario, Step, Verdict
from infra.drills.scenarios.common import (
    canary_verify_step,
    canary_write_step,
    detect_step,
    drill_alarms,
    own,
    replication_group,
)

ACTIVE_STATES = ("pending", "initiating", "running")
# Experiment states that never reach "completed" (FIS ExperimentStatus; "stopped" is a stop condition).
TERMINAL_FAILURES = ("failed", "cancelled")


def applies(outputs: Mapping[str, Any]) -> str | None:
    if not outputs.get("fisExperimentTemplateIds"):
        return "the stack has no FIS experiment templates (dev tier)"
    return None


def _service(ctx: DrillContext) -> dict[str, Any]:
    cluster, service = ctx.out("ecsClusterName"), ctx.out("ingestServiceName")
    found = ctx.clients("ecs", ctx.region).describe_services(cluster=cluster, services=[service])["services"]
    if not found:
        raise PreconditionError(f"ECS service {service} not found in cluster {cluster}")
    return dict(found[0])


def _preflight(ctx: DrillContext) -> Facts:
    templates = ctx.out("fisExperimentTemplateIds")
    az = str(ctx.options.get("az") or sorted(templates)[0])
    if az not in templates:
        raise PreconditionError(f"no FIS template for {az}; the stack has: {', '.join(sorted(templates))}")
    template = ctx.clients("fis", ctx.region).get_experiment_template(id=templates[az])["experimentTemplate"]
    service = _service(ctx)
    if service["runningCount"] < service["desiredCount"]:
        raise PreconditionError(f"ingest runs {service['runningCount']} of {service['desiredCount']} tasks already")
    group = replication_group(ctx, ctx.out("cacheReplicationGroupId"), ctx.region)
    if group.get("Status") != "available":
        raise PreconditionError(f"cache is {group.get('Status')}, not available")
    account = Arn.parse(ctx.out("cacheReplicationGroupArn")).account
    return {
        "az": az,
        "templateId": templates[az],
        "templateArn": template.get("arn") or f"arn:aws:fis:{ctx.region}:{account}:experiment-template/{templates[az]}",
        "serviceArn": service["serviceArn"],
        "cacheArn": ctx.out("cacheReplicationGroupArn"),
        "desiredTasks": service["desiredCount"],
    }


def _experiment(ctx: DrillContext) -> dict[str, Any]:
    experiment_id = ctx.recorded("start-experiment", "results", "experiment", "experiment", "id")
    return dict(ctx.clients("fis", ctx.region).get_experiment(id=experiment_id)["experiment"])


def _raise_if_stopped(experiment: Mapping[str, Any]) -> None:
    state = experiment.get("state", {})
    if state.get("status") == "stopped":
        raise StopConditionError([state.get("reason") or "experiment stopped"], source="FIS experiment")


def _started(ctx: DrillContext, _: Record) -> Verdict:
    experiment = _experiment(ctx)
    _raise_if_stopped(experiment)
    status = experiment.get("state", {}).get("status")
    return Verdict(status in ("running", "completed"), f"experiment {status}", failed=status in TERMINAL_FAILURES)


def _impact(ctx: DrillContext) -> str | None:
    service = _service(ctx)
    if service["runningCount"] < service["desiredCount"]:
        return f"ingest running {service['runningCount']} of {service['desiredCount']} tasks"
    status = replication_group(ctx, ctx.out("cacheReplicationGroupId"), ctx.region).get("Status")
    return f"cache {status}" if status != "available" else None


def _served_again(ctx: DrillContext, _: Record) -> Verdict:
    _raise_if_stopped(_experiment(ctx))
    service = _service(ctx)
    status = replication_group(ctx, ctx.out("cacheReplicationGroupId"), ctx.region).get("Status")
    healthy = service["runningCount"] >= service["desiredCount"] and status == "available"
    return Verdict(healthy, f"ingest {service['runningCount']}/{service['desiredCount']} tasks, cache {status}")


def _ended(ctx: DrillContext, _: Record) -> Verdict:
    experiment = _experiment(ctx)
    _raise_if_stopped(experiment)
    status = experiment.get("state", {}).get("status")
    return Verdict(status == "completed", f"experiment {status}", failed=status in TERMINAL_FAILURES)


def _stop_experiment(ctx: DrillContext, record: Record) -> list[Call]:
    experiment = record.get("results", {}).get("experiment")
    if not experiment:
        return []
    current = _experiment(ctx)
    if current.get("state", {}).get("status") not in ACTIVE_STATES:
        return []
    return [Call("fis", "stop_experiment", ctx.region, {"id": current["id"]})]


def steps(ctx: DrillContext) -> list[Step]:
    return [
        Step(
            "preflight",
            "preflight",
            "template exists, ingest at desired count, cache available, all tagged",
            15,
            prepare=_preflight,
            targets=lambda c, f: [own(c, f["templateArn"]), own(c, f["serviceArn"]), own(c, f["cacheArn"])],
        ),
        canary_write_step(),
        Step(
            "start-experiment",
            "fault",
            "start the FIS AZ-outage experiment (subnets + cache AZ power)",
            30,
            prepare=lambda c: {
                "templateId": c.recorded("preflight", "facts", "templateId"),
                "templateArn": c.recorded("preflight", "facts", "templateArn"),
            },
            targets=lambda c, f: [own(c, f["templateArn"])],
            calls=lambda c, f: [
                Call(
                    "fis",
                    "start_experiment",
                    c.region,
                    {
                        "experimentTemplateId": f["templateId"],
                        "clientToken": c.drill_id,
                        "tags": {"stack": c.stack, "drill": c.drill_id},
                    },
                    key="experiment",
                )
            ],
            verify=_started,
            timeout_seconds=300,
            poll_seconds=10,
            rollback=_stop_experiment,
        ),
        detect_step(
            "tasks below desired, cache not available, or an AZ-loss alarm fires",
            _impact,
            alarms=lambda c: drill_alarms(c, "az-outage"),
            timeout=600,
            poll=15,
            expected_seconds=120,
        ),
        Step(
            "served-by-other-azs",
            "recover",
            "ingest back at desired count and cache available, AZ still out",
            300,
            verify=_served_again,
            timeout_seconds=1200,
            poll_seconds=15,
        ),
        Step(
            "experiment-ends",
            "verify",
            "the experiment runs its full duration and completes",
            600,
            verify=_ended,
            timeout_seconds=1800,
            poll_seconds=30,
        ),
        canary_verify_step(summary="every canary written before the outage is still readable"),
    ]


SCENARIO = Scenario(
    "az-outage",
    "lose one AZ's private subnets and cache nodes (AWS FIS); the other AZs carry the service",
    steps,
    canary_stores=("kafka", "cache"),
    applies=applies,
)
