"""`blueprint size`: output agrees with the sizing model; bad input gives a message and exit 2."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import pytest

from infra.catalog.sizing import Workload, recommend
from infra.cli import size


def run_size(argv: list[str]) -> int:
    """Parse and run `blueprint size ARGV` the way infra.cli.main does; argparse exits become codes."""
    parser = argparse.ArgumentParser(prog="blueprint")
    size.register(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["size", *argv])
    except SystemExit as exit_:
        return int(exit_.code or 0)
    code: int = args.func(args)
    return code


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = run_size([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- recommend


def test_recommend_json_matches_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(
        [
            "--ingress-mbps",
            "200",
            "--peak-factor",
            "2",
            "--retention-hours",
            "72",
            "--consumer-groups",
            "2",
            "--partitions",
            "600",
        ],
        capsys,
    )
    expected = recommend(
        Workload(ingress_mbps=200, peak_factor=2, retention_hours=72, consumer_groups=2, partitions=600), 3
    )
    assert code == 0
    assert document["instance_type"] == expected.instance_type
    assert document["brokers"] == expected.brokers
    assert document["volume_gib"] == expected.volume_gib
    assert document["volume_throughput_mbps"] == expected.volume_throughput_mbps
    assert document["sustained_limit_mbps"] == pytest.approx(expected.evaluation.sustained_limit_mbps)
    assert document["target_mbps"] == pytest.approx(0.8 * document["sustained_limit_mbps"])
    assert document["limiting_term"] == expected.evaluation.limiting_term
    assert document["peak_ingress_mbps"] == 400
    assert document["target_mbps"] >= 400
    assert document["reasons"] == expected.reasons


def test_recommend_text_explains_the_limiting_term(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_size(["--ingress-mbps", "20", "--retention-hours", "72", "--consumer-groups", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Recommended: ")
    assert "(limiting term: " in out
    assert "Why:\n  - Peak ingress 20.0 MB/s" in out


def test_no_burstable_and_two_azs_are_honoured(capsys: pytest.CaptureFixture[str]) -> None:
    base = [
        "--ingress-mbps",
        "2",
        "--peak-factor",
        "2",
        "--retention-hours",
        "24",
        "--replication-factor",
        "2",
        "--azs",
        "2",
    ]
    _, burstable = run_json(base, capsys)
    _, production = run_json([*base, "--no-burstable"], capsys)
    assert (burstable["instance_type"], burstable["brokers"], burstable["azs"]) == ("kafka.t3.small", 2, 2)
    assert production["instance_type"] == "kafka.m7g.large"


def test_workload_nothing_fits_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_size(["--ingress-mbps", "9000", "--retention-hours", "1"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no supported MSK Standard cluster of at most 30 brokers" in captured.err
    assert run_size(["--ingress-mbps", "9000", "--retention-hours", "1", "--max-brokers", "60"]) == 0


# ---------------------------------------------------------------- evaluate


def test_evaluate_reproduces_the_aws_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(
        [
            "--evaluate",
            "--instance-type",
            "kafka.m5.12xlarge",
            "--brokers",
            "3",
            "--replication-factor",
            "3",
            "--consumer-groups",
            "2",
            "--volume-throughput-mbps",
            "1000",
        ],
        capsys,
    )
    assert code == 0
    assert document["sustained_limit_mbps"] == 1000.0
    assert document["target_mbps"] == pytest.approx(800.0)
    assert document["limiting_term"] == "storage"
    assert document["terms"] == {"storage": 1000.0, "ebs_network": 1187.5, "ec2_network": 1125.0}
    assert document["volume_gib"] is None
    assert document["problems"] is None


def test_evaluate_text_lists_the_three_terms(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--evaluate", "--instance-type", "kafka.m7g.xlarge", "--brokers", "6", "--consumer-groups", "4"]
    assert run_size(argv) == 0
    out = capsys.readouterr().out
    for label in ("storage (volume throughput)", "EC2-to-EBS network", "EC2 network egress"):
        assert label in out
    assert "(limiting term: ec2_network)" in out
    assert "Production target (80%) 187.6 MB/s" in out  # 234.5 MB/s x 6 / 6 copies x 0.8


def test_evaluate_against_a_workload_reports_problems_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--evaluate",
        "--instance-type",
        "kafka.m5.large",
        "--brokers",
        "3",
        "--volume-gib",
        "100",
        "--ingress-mbps",
        "100",
        "--retention-hours",
        "24",
    ]
    code, document = run_json(argv, capsys)
    assert code == 1
    assert [problem.split(":")[0] for problem in document["problems"]] == ["throughput", "storage"]


def test_evaluate_against_a_workload_that_fits_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--evaluate",
        "--instance-type",
        "kafka.m7g.large",
        "--brokers",
        "3",
        "--volume-gib",
        "120",
        "--ingress-mbps",
        "5",
        "--retention-hours",
        "4",
    ]
    assert run_size(argv) == 0
    assert "Workload check: fits" in capsys.readouterr().out


# ---------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--evaluate", "--instance-type", "kafka.m9.large", "--brokers", "3"],
            "unknown MSK broker type 'kafka.m9.large'",
        ),
        (["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "4"], "multiple of the AZ count"),
        (["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "2", "--azs", "2"], "cannot hold 3 replicas"),
        (
            ["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "-3"],
            "--brokers: must be a whole number >= 1",
        ),
        (
            ["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "3", "--volume-throughput-mbps", "300"],
            "cannot provision storage throughput",
        ),
        (["--evaluate", "--instance-type", "kafka.m5.large"], "--evaluate needs --brokers"),
        (
            ["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "3", "--ingress-mbps", "5"],
            "needs --ingress-mbps, --retention-hours and --volume-gib together",
        ),
        (
            ["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "3", "--partitions", "10"],
            "--partitions: only when checking against a workload",
        ),
        (
            ["--evaluate", "--instance-type", "kafka.m5.large", "--brokers", "3", "--no-burstable"],
            "only without --evaluate",
        ),
        (["--ingress-mbps", "-5", "--retention-hours", "3"], "--ingress-mbps: must be a number > 0, got '-5'"),
        (["--ingress-mbps", "abc", "--retention-hours", "3"], "expected a number, got 'abc'"),
        (["--ingress-mbps", "inf", "--retention-hours", "3"], "must be a number > 0, got 'inf'"),
        (["--ingress-mbps", "5", "--retention-hours", "0"], "--retention-hours: must be a number > 0"),
        (
            ["--ingress-mbps", "5", "--retention-hours", "3", "--peak-factor", "0.5"],
            "--peak-factor: must be a number >= 1",
        ),
        (["--ingress-mbps", "5"], "recommending a cluster needs --retention-hours"),
        (["--ingress-mbps", "5", "--retention-hours", "3", "--azs", "4"], "2 or 3 Availability Zones, got 4"),
        (["--ingress-mbps", "5", "--retention-hours", "3", "--brokers", "3"], "--brokers: only with --evaluate"),
        (
            ["--ingress-mbps", "5", "--retention-hours", "3", "--replication-factor", "0"],
            "--replication-factor: must be a whole number >= 1",
        ),
    ],
)
def test_invalid_input_prints_a_message_and_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_size(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_cli_does_not_import_pulumi() -> None:
    """Run in a fresh interpreter: this test process may already hold pulumi from other tests."""
    script = (
        "import sys, argparse\n"
        "from infra.cli import size\n"
        "parser = argparse.ArgumentParser(prog='blueprint')\n"
        "size.register(parser.add_subparsers(dest='command'))\n"
        "for argv in (['size', '--ingress-mbps', '50', '--retention-hours', '24', '--json'],\n"
        "             ['size', '--evaluate', '--instance-type', 'kafka.m5.4xlarge', '--brokers', '3']):\n"
        "    args = parser.parse_args(argv)\n"
        "    assert args.func(args) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'boto3'))\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert "LOADED []" in result.stdout
