"""A bad stack config stops the program before any resource is registered, in every entry path."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config

from infra.cli import main as blueprint
from infra.config import ConfigError
from infra.config.loader import to_runtime
from infra.offline.runtime import PlatformMocks, RecordingMonitor, plan_stack
from tests.helpers import raw_with

BAD = {"network": {"azCount": 2, "natGateways": "single"}, "colour": "blue"}


@pytest.fixture
def bad_stacks_dir(stacks_dir: Path) -> Path:
    (stacks_dir / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": raw_with("prod", BAD)}))
    return stacks_dir


def test_offline_plan_raises_every_problem_and_registers_nothing(
    bad_stacks_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[str] = []
    monkeypatch.setattr(RecordingMonitor, "RegisterResource", lambda self, request: registered.append(request.type))
    with pytest.raises(ConfigError) as info:
        plan_stack("prod")
    assert len(info.value.problems) == 3
    assert registered == []


def test_pulumi_entry_point_logs_the_problems_and_exits_before_registering(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `pulumi up -s prod` runs: infra/__main__.py with config from the language host."""
    mocks = PlatformMocks("us-east-1", {})
    monitor = RecordingMonitor(mocks)
    errors: list[str] = []
    monkeypatch.setattr("pulumi.log.error", lambda message, *a, **k: errors.append(message))
    settings.ROOT.set(None)
    set_all_config(to_runtime(raw_with("prod", BAD)))
    pulumi_mocks.set_mocks(mocks, project="streaming-platform", stack="prod", preview=False, monitor=monitor)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("infra.__main__", run_name="__main__")
    assert exit_info.value.code == 1
    assert monitor.records == []
    [message] = errors
    assert "3 problem(s) in stacks/Pulumi.prod.yaml" in message
    assert "streaming-platform:colour = 'blue': unknown key" in message


def test_cli_plan_prints_problems_without_traceback(bad_stacks_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert blueprint(["plan", "prod"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "stacks/Pulumi.prod.yaml: streaming-platform:network.azCount = 2" in err
    assert "stacks/Pulumi.prod.yaml: streaming-platform:colour = 'blue': unknown key" in err


def test_cli_plan_rejects_an_unknown_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert blueprint(["plan", "qa"]) == 2
    assert "unknown stack(s): qa" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["plan", "--all", "dev"], "not both"),
        (["snapshot", "--check", "qa"], "unknown stack(s): qa"),
        (["diff", "qa"], "unknown stack(s): qa"),
        (["diagram", "qa"], "unknown stack(s): qa"),
    ],
)
def test_cli_bad_arguments_exit_2_with_a_message(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert blueprint(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_cli_diff_reports_an_unwritable_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing-dir" / "review.md"
    assert blueprint(["diff", "dev", "--output", str(target)]) == 2
    assert f"cannot write --output {target}" in capsys.readouterr().err
    assert not target.exists()


def test_a_pair_that_reads_each_other_is_refused_offline_without_traceback(
    stacks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Prod flipped for failback reads prod-dr, which reads prod: only real state resolves that."""
    flipped = raw_with("prod", {"dr": {"activeRegion": "us-west-2"}})
    (stacks_dir / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": flipped}))
    assert blueprint(["plan", "prod"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "stacks/Pulumi.prod.yaml: streaming-platform:dr.activeRegion = 'us-west-2'" in err
    assert "prod fails back and reads prod-dr's outputs" in err


def test_cli_plan_runs_the_policy_pack_and_exits_3_on_a_mandatory_violation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from streaming_policies import ALL_RULES, Violation

    assert blueprint(["plan", "dev"]) == 0
    assert f"Policy pack: {len(ALL_RULES)} rules, no violation" in capsys.readouterr().out

    def one_blocking(resources: object, tier: str, stack: str) -> list[Violation]:
        return [
            Violation("kms-rotation", "urn:x", "rotation off", "aws:kms/key:Key", "stack-key-key", "mandatory", "high")
        ]

    monkeypatch.setattr("infra.review.plan.evaluate_plan", one_blocking)
    assert blueprint(["plan", "dev"]) == 3
    captured = capsys.readouterr()
    assert "BLOCK kms-rotation: aws:kms/key:Key stack-key-key: rotation off" in captured.out
    assert "mandatory policy violations in: dev" in captured.err
