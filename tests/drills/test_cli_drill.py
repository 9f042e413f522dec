"""`blueprint drill`: bad input exits 2 with a message, before any AWS call."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from infra.cli import drill
from infra.offline.record import StackPlan
from tests.drills.conftest import drill_cli


@pytest.fixture
def prod_outputs(plans: dict[str, StackPlan], tmp_path: Path) -> Path:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(plans["prod"].outputs))
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["broker-reboot", "--stack", "prod", "--execute"], "needs --confirm prod"),
        (["broker-reboot", "--stack", "prod", "--execute", "--confirm", "staging"], "got staging"),
        (
            ["broker-reboot", "--stack", "prod", "--execute", "--confirm", "prod"],
            "needs the deployed outputs: --outputs FILE",
        ),
        (["broker-reboot", "--stack", "nope"], "unknown stack(s): nope; stacks/ has: dev"),
        (["failback", "--stack", "prod"], "failback needs --since ISO8601: when the failover happened"),
        (["failback", "--stack", "prod", "--since", "yesterday"], "--since 'yesterday' is not an ISO 8601 time"),
        (["failback", "--stack", "prod", "--since", "2026-11-26T09:30:00"], "has no time zone"),
        (["failback", "--stack", "prod", "--since", "2999-01-01T00:00:00Z"], "is not in the past"),
        (["region-failover", "--stack", "prod", "--since", "2026-11-26T09:30:00Z"], "--since applies to failback only"),
    ],
)
def test_refused_before_touching_aws(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert drill_cli(*argv) == 2
    assert message in capsys.readouterr().err


def test_outputs_of_another_stack_are_refused(prod_outputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert drill_cli("cache-failover", "--stack", "staging", "--outputs", str(prod_outputs)) == 2
    assert "holds the outputs of stack 'prod', not 'staging'" in capsys.readouterr().err


def test_a_scenario_that_does_not_apply_is_refused(
    tmp_path: Path, plans: dict[str, StackPlan], capsys: pytest.CaptureFixture[str]
) -> None:
    dev = tmp_path / "dev.json"
    dev.write_text(json.dumps(plans["dev"].outputs))
    assert drill_cli("az-outage", "--stack", "dev", "--outputs", str(dev)) == 2
    assert "az-outage does not apply to stack dev: the stack has no FIS experiment templates" in capsys.readouterr().err


def test_pair_scenarios_need_the_peer_outputs(prod_outputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert drill_cli("region-failover", "--stack", "prod", "--outputs", str(prod_outputs)) == 2
    assert "needs the outputs of prod-dr too: --peer-outputs FILE" in capsys.readouterr().err


def test_resume_needs_a_valid_state_file(
    prod_outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "state.json"
    bad.write_text("{not json")
    argv = [
        "broker-reboot",
        "--stack",
        "prod",
        "--outputs",
        str(prod_outputs),
        "--confirm",
        "prod",
        "--resume",
        str(bad),
    ]
    assert drill_cli(*argv) == 2
    assert "is not a drill state file" in capsys.readouterr().err


def test_resume_and_rollback_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        drill_cli("broker-reboot", "--stack", "prod", "--resume", "a", "--rollback", "b")
    assert exit_.value.code == 2


def test_a_state_file_of_another_drill_is_refused(
    prod_outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.drills.state import DrillState

    path = tmp_path / "s.json"
    DrillState("d", "cache-failover", "prod", "us-east-1", None, "2026-11-26T09:30:00.000Z").save(path)
    argv = [
        "broker-reboot",
        "--stack",
        "prod",
        "--outputs",
        str(prod_outputs),
        "--confirm",
        "prod",
        "--rollback",
        str(path),
    ]
    assert drill_cli(*argv) == 2
    assert "the state file is for cache-failover on prod, not broker-reboot on prod" in capsys.readouterr().err


def test_the_cli_builds_the_s3_canary_the_scenario_measures(plans: dict[str, StackPlan]) -> None:
    from infra.drills.calls import Clients
    from infra.drills.model import DrillContext, Peer
    from tests.drills.conftest import Factory, FakeClock

    clock = FakeClock()
    ctx = DrillContext(
        scenario="region-failover",
        stack="prod",
        region="us-east-1",
        outputs=plans["prod"].outputs,
        clients=Clients(Factory(), clock),
        clock=clock,
        drill_id="d",
        execute=False,
        peer=Peer("prod-dr", "us-west-2", plans["prod-dr"].outputs),
    )
    canaries: dict[str, Any] = drill.build_canaries("region-failover", ctx)
    assert canaries["s3"].read_bucket == plans["prod-dr"].outputs["lakeBucket"]["name"]
    assert drill.build_canaries("broker-reboot", ctx) == {}


@pytest.mark.parametrize(
    ("argv", "since"),
    [
        (["failback", "--stack", "prod", "--since", "2026-11-25T10:30:00+01:00"], "2026-11-25T09:30:00.000Z"),
        (["failback", "--stack", "prod", "--rollback", "state.json"], None),  # a rollback starts no job
        (["region-failover", "--stack", "prod"], None),
    ],
)
def test_the_failover_time_goes_to_the_drill_in_utc(argv: list[str], since: str | None) -> None:
    parser = argparse.ArgumentParser()
    drill.register(parser.add_subparsers())
    assert drill._since(parser.parse_args(["drill", *argv])) == since
