"""A region failover works with the failed region gone: every `aws` command of the failover runbooks and
every call of the region-failover drill names a surviving region and an API of the sourced allowlist
(infra/data/failover_apis.yaml: data planes and surviving regions' control planes, never a global one)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from infra.drills.calls import operation_name
from infra.drills.clock import SystemClock
from infra.drills.guard import StopWatch, TagGuard
from infra.drills.model import DrillContext, Peer
from infra.drills.rehearsal import offline_clients
from infra.drills.runner import DrillRunner
from infra.drills.scenarios import SCENARIOS
from infra.offline.record import StackPlan
from infra.paths import RUNBOOKS

ALLOWLIST = Path(__file__).resolve().parents[1] / "infra" / "data" / "failover_apis.yaml"
# Control planes served from one region whatever region a call names.
GLOBAL_CONTROL_PLANES = {"route53", "iam", "route53-recovery-control-config", "cloudfront", "organizations"}


@dataclass(frozen=True)
class Command:
    where: str
    api: str
    region: str | None


def allowlist() -> dict[str, dict[str, str]]:
    apis: dict[str, dict[str, str]] = yaml.safe_load(ALLOWLIST.read_text())["apis"]
    return apis


def aws_commands(where: str, markdown: str) -> list[Command]:
    """Every `aws SERVICE OPERATION ...` in the Markdown's code (blocks and inline), continuation lines joined."""
    code = re.findall(r"```[a-z]*\n(.*?)```", markdown, re.S) + re.findall(r"(?<!`)`([^`\n]+)`(?!`)", markdown)
    found = []
    for block in code:
        for line in block.replace("\\\n", " ").splitlines():
            for match in re.finditer(r"\baws\s+([a-z0-9-]+)\s+([a-z0-9-]+)(.*?)(?=\baws\s+[a-z0-9-]+\s+[a-z]|$)", line):
                region = re.search(r"--region\s+(\S+)", match.group(3))
                found.append(Command(where, f"{match.group(1)} {match.group(2)}", region.group(1) if region else None))
    return found


def failover_runbooks() -> dict[str, tuple[str, str]]:
    """runbooks/<primary>/region-failover.md -> (its text, the failed region: the primary's)."""
    found = {}
    for path in sorted(RUNBOOKS.glob("*/region-failover.md")):
        text = path.read_text()
        region = re.search(r"^# .*\(\w+, ([a-z0-9-]+)\)$", text, re.M)
        assert region, f"{path}: no region in the title"
        found[f"{path.parent.name}/{path.name}"] = (text, region.group(1))
    return found


def problems(commands: list[Command], failed: str) -> list[str]:
    allowed = allowlist()
    out = []
    for command in commands:
        if command.region is None:
            out.append(f"{command.where}: `aws {command.api}` names no --region")
        elif command.region == failed:
            out.append(f"{command.where}: `aws {command.api}` goes to the failed region {failed}")
        if command.api not in allowed:
            out.append(f"{command.where}: `aws {command.api}` is not in {ALLOWLIST.name}")
    return out


def test_the_allowlist_is_sourced_and_holds_no_global_control_plane() -> None:
    for api, entry in allowlist().items():
        assert entry["plane"] in ("data", "regional"), api
        assert entry["source"].startswith("https://docs.aws.amazon.com/"), api
        assert api.split()[0] not in GLOBAL_CONTROL_PLANES, api


def test_failover_runbooks_call_only_surviving_regions_and_allowed_apis() -> None:
    runbooks = failover_runbooks()
    assert "prod/region-failover.md" in runbooks
    for name, (text, failed) in runbooks.items():
        commands = aws_commands(name, text)
        assert {c.api for c in commands} >= {
            "route53-recovery-cluster update-routing-control-states",
            "elasticache failover-global-replication-group",
        }
        assert not problems(commands, failed), "\n".join(problems(commands, failed))
        # Endpoint alternatives outside full commands must not name the failed region either.
        assert not re.search(rf"--region {failed}\b", text), name


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("```bash\naws route53 update-health-check --health-check-id X --inverted\n```", "names no --region"),
        ("`aws emr list-steps --region us-east-1 --cluster-id X`", "goes to the failed region"),
        ("```bash\naws iam get-role --region us-west-2 \\\n  --role-name r\n```", "is not in"),
    ],
)
def test_the_check_catches_what_the_old_runbook_did(markdown: str, message: str) -> None:
    assert any(message in p for p in problems(aws_commands("sample", markdown), "us-east-1"))


def allowed_operations() -> set[tuple[str, str]]:
    """(service, API operation) of every allowlisted command, as a drill's calls name them."""
    found = set()
    for api, entry in allowlist().items():
        service, command = api.split()
        found.add((service, entry.get("operation") or operation_name(command.replace("-", "_"))))
    return found


# A planned call, rollback or skipped read of a rehearsal: `service.method(params)  [region ...]`.
_DRILL_CALL = re.compile(r"(?:would call|read SKIPPED:) ([a-z0-9:-]+)\.(\w+)\(.*\)  \[([a-z0-9-]+)")


def test_the_failover_drill_calls_only_surviving_regions_and_allowed_apis(plans: dict[str, StackPlan]) -> None:
    """Every call the drill plans, its rollbacks and the first read of each step (the rehearsal shows them all).

    No canaries here: the CLI's S3 canary writes to the primary's lake on purpose, before the fault, to
    measure what the failover loses; with the primary region gone it has nothing to measure.
    """
    prod, dr = plans["prod"], plans["prod-dr"]
    clients = offline_clients(SystemClock())
    ctx = DrillContext(
        scenario="region-failover",
        stack="prod",
        region=prod.region,
        outputs=prod.outputs,
        clients=clients,
        clock=SystemClock(),
        drill_id="region-failover-prod-test",
        execute=False,
        peer=Peer("prod-dr", dr.region, dr.outputs),
    )
    runner = DrillRunner(
        SCENARIOS["region-failover"],
        ctx,
        stop_watch=StopWatch(clients, {dr.region: dr.outputs["drillAlarms"]["stop"]}),
        guard=TagGuard(clients),
    )
    lines = runner.rehearse().lines
    calls = [match.groups() for line in lines if (match := _DRILL_CALL.search(line))]
    assert ("route53-recovery-cluster", "update_routing_control_states", "us-west-2") in calls
    allowed = allowed_operations()
    for service, method, region in calls:
        assert region != prod.region, f"{service}.{method} goes to the failed region"
        assert (service, operation_name(method)) in allowed, f"{service}.{method} is not in {ALLOWLIST.name}"
