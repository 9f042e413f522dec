"""A dry run without AWS credentials rehearses the drill from the plan: every scenario on every stack exits 0
at once, listing the calls, checks, stop conditions and rollbacks, and the reads it skipped; bad arguments
exit 2 before anything else."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from infra.drills.rehearsal import has_credentials
from infra.drills.scenarios import SCENARIOS
from infra.offline.record import StackPlan
from tests.conftest import STACKS
from tests.drills.conftest import drill_cli

ARGUMENTS = {"failback": ["--since", "2026-11-26T09:30:00Z"]}


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, plans: dict[str, StackPlan]) -> None:
    """No credentials anywhere botocore looks, and the session's plans instead of planning again."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr("infra.offline.runtime.plan_stacks", lambda stacks, **_: {s: plans[s] for s in stacks})

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("a rehearsal must not create a boto3 session")

    monkeypatch.setattr(boto3.session, "Session", refuse)


def test_credentials_are_detected_without_the_network(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert has_credentials() is False
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    assert has_credentials() is False
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert has_credentials() is True


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_dry_run_rehearses_without_credentials(
    no_credentials: None, plans: dict[str, StackPlan], scenario: str, stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = drill_cli(scenario, "--stack", stack, *ARGUMENTS.get(scenario, []))
    out, err = capsys.readouterr()
    reason = SCENARIOS[scenario].applies(plans[stack].outputs)
    if reason is not None:
        assert code == 2 and ("does not apply" in err or "has no DR peer" in err), err
        return
    assert code == 0, err
    assert "Unable to locate credentials" not in out + err
    assert out.startswith(f"REHEARSAL {scenario} on {stack}")
    assert "read SKIPPED:" in out and "stop conditions" in out
    calls = [line for line in out.splitlines() if "would call " in line and "canary:" not in line]
    assert calls, out
    assert any(line.strip().startswith("check:") for line in out.splitlines())
    assert out.rstrip().endswith("mutating calls made: 0 (rehearsal)")


def test_the_failover_rehearsal_names_its_fault_and_rollback(
    no_credentials: None, plans: dict[str, StackPlan], capsys: pytest.CaptureFixture[str]
) -> None:
    assert drill_cli("region-failover", "--stack", "prod") == 0
    out = capsys.readouterr().out
    controls = plans["prod-dr"].outputs["drRoutingControlArns"]
    assert f'"RoutingControlArn": "{controls["us-east-1"]}", "RoutingControlState": "Off"' in out
    assert "rollback would call route53-recovery-cluster.update_routing_control_states" in out
    assert "would call elasticache.failover_global_replication_group" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["broker-reboot", "--stack", "staging", "--broker", "7"], "has brokers 1..3"),
        (["broker-reboot", "--stack", "dev", "--broker", "0"], "has brokers 1..2"),
        (["az-outage", "--stack", "prod", "--az", "us-east-1z"], "FIS templates for us-east-1a, us-east-1b"),
        (["cache-failover", "--stack", "prod", "--shard", "0009"], "node groups 0001, 0002, 0003"),
        (["restore", "--stack", "staging", "--isolated"], "copies to no isolated vault"),
    ],
)
def test_arguments_are_checked_against_the_plan_first(
    no_credentials: None, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drill_cli(*argv) == 2
    assert message in capsys.readouterr().err
