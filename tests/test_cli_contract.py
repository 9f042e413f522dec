"""The contract every `blueprint` sub-command keeps: one exit-code table, unknown stacks listed, config
problems said once and without a traceback, a closed pipe ended quietly, progress only for a terminal.

Cheap on purpose: the failures stop at the stack file, before anything is planned; one test plans dev
in-process and one pipes a plan into `head` in a subprocess.
"""

from __future__ import annotations

import argparse
import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.catalog.artifacts import Catalog, Jar, file_sha256, write_manifest
from infra.cli import artifacts, build_parser
from infra.cli import main as blueprint
from infra.cli.exit_codes import ExitCode
from infra.cli.plan import warn_unfetched_artifacts
from infra.cli.progress import Progress
from infra.config import list_stacks
from infra.offline.record import StackPlan

REPO_ROOT = Path(__file__).resolve().parents[1]

# One line per command that reads a stack, so each is held to the same answers.
STACK_COMMANDS = {
    "plan": ["plan", "{stack}"],
    "plan --json": ["plan", "{stack}", "--json"],
    "diff": ["diff", "{stack}"],
    "snapshot --check": ["snapshot", "--check", "{stack}"],
    "diagram": ["diagram", "{stack}"],
    "runbooks": ["runbooks", "{stack}"],
    "client-config": ["client-config", "{stack}"],
    "drill": ["drill", "az-outage", "--stack", "{stack}"],
}


def argv_for(command: str, stack: str) -> list[str]:
    return [arg.format(stack=stack) for arg in STACK_COMMANDS[command]]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so progress lines are written."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def invalid_dev(stacks_dir: Path) -> Path:
    """dev with a tier that does not exist: a config failure found before anything is planned."""
    path = stacks_dir / "Pulumi.dev.yaml"
    text = path.read_text()
    assert "streaming-platform:tier: dev\n" in text
    path.write_text(text.replace("streaming-platform:tier: dev\n", "streaming-platform:tier: qa\n"))
    return path


def test_every_command_documents_its_exit_codes_from_the_one_table() -> None:
    parser = build_parser()
    assert parser.epilog is not None and all(f"{int(code)} " in parser.epilog for code in ExitCode)
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        assert command.epilog and command.epilog.startswith("exit codes: "), name
        codes = {int(code) for code in re.findall(r"(?:^exit codes: |, )(\d+) ", command.epilog)}
        assert {0, 2} <= codes <= {int(code) for code in ExitCode}, name


@pytest.mark.parametrize("command", STACK_COMMANDS)
def test_an_invalid_stack_config_exits_1_in_every_command(
    command: str, invalid_dev: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert blueprint(argv_for(command, "dev")) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert "stacks/Pulumi.dev.yaml: streaming-platform:tier = 'qa'" in err and "Traceback" not in err


def test_docs_exits_1_on_an_invalid_stack_config(invalid_dev: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert blueprint(["docs", "--check"]) == ExitCode.FAILED
    assert "streaming-platform:tier = 'qa'" in capsys.readouterr().err


@pytest.mark.parametrize("command", STACK_COMMANDS)
def test_an_unknown_stack_exits_2_and_lists_the_stacks(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert blueprint(argv_for(command, "qa")) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"unknown stack(s): qa; stacks/ has: {', '.join(list_stacks())}" in err


@pytest.mark.parametrize(
    "argv",
    [["plan"], ["plan", "--all", "dev"], ["plan", "dev", "--bogus"], ["size", "--ingress-mbps", "x"], ["artifacts"]],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code: int | str | None
    try:
        code = blueprint(argv)
    except SystemExit as refused:  # argparse's own refusals
        code = refused.code
    assert code == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_a_key_given_twice_is_refused_naming_key_lines_and_file(
    stacks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stacks_dir / "Pulumi.dev.yaml"
    lines = path.read_text().splitlines()
    owner = next(i for i, line in enumerate(lines) if line.startswith("  streaming-platform:owner:"))
    cidr = next(i for i, line in enumerate(lines) if line.startswith("    cidr:"))
    lines.insert(cidr + 1, "    cidr: 10.99.0.0/16")  # nested: the later one would silently win
    lines.insert(owner + 1, "  streaming-platform:owner: someone-else")
    path.write_text("\n".join(lines) + "\n")
    assert blueprint(["plan", "dev"]) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert "2 problem(s) in stacks/Pulumi.dev.yaml" in err
    assert f"streaming-platform:owner = 'lines {owner + 1} and {owner + 2}': the key is given twice" in err
    assert f"streaming-platform:network.cidr = 'lines {cidr + 2} and {cidr + 3}': the key is given twice" in err


def test_an_invalid_tier_is_one_problem(invalid_dev: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert blueprint(["plan", "dev"]) == ExitCode.FAILED
    err = capsys.readouterr().err
    assert "1 problem(s) in stacks/Pulumi.dev.yaml" in err
    assert "required key is missing" not in err and "'dev', 'staging' or 'prod'" in err


def test_a_plan_piped_into_head_ends_quietly_and_json_shows_no_progress(plans: dict[str, StackPlan]) -> None:
    """`blueprint plan dev --json | head -1` with stderr on a terminal. The JSON is far larger than a
    pipe's buffer, so the pipe breaks for sure; --json keeps the terminal free of progress lines.

    The session's plans are in the plan cache (``plans``), so the subprocess reads dev's instead of planning it.
    """
    script = "import sys; from infra.cli import main; sys.exit(main(sys.argv[1:]))"
    terminal, terminal_side = pty.openpty()
    producer = subprocess.Popen(
        [sys.executable, "-c", script, "plan", "dev", "--json"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=terminal_side,
    )
    os.close(terminal_side)
    assert producer.stdout is not None
    head = subprocess.run(["head", "-1"], stdin=producer.stdout, capture_output=True, check=True)
    producer.stdout.close()
    assert producer.wait(timeout=300) == ExitCode.PIPE_CLOSED
    err = _read_all(terminal)
    assert head.stdout == b"{\n"
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert "planning" not in err


def _read_all(terminal: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # EIO: the other side is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(terminal)
    return b"".join(chunks).decode()


def test_snapshot_check_says_what_it_checked_and_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no committed snapshot to compare with, dev differs; the progress line shows the plan's time."""
    monkeypatch.setattr("infra.review.snapshot.load", lambda stack: None)
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert blueprint(["snapshot", "--check", "dev"]) == ExitCode.FAILED
    err = stderr.getvalue()
    assert re.match(r"planning dev\.\.\. planned in \d+\.\d s\n", err)
    assert "checked the plan snapshots (tests/snapshots/) and diagrams (docs/architecture/) of dev" in err
    assert "run `blueprint snapshot dev` and commit the files it writes" in err
    assert capsys.readouterr().out.startswith("# Infrastructure review")  # what differs


@pytest.mark.parametrize(
    ("stream", "quiet", "expected"),
    [
        (Terminal(), False, r"planning prod\.\.\. planned in \d+\.\d s\n"),
        (Terminal(), True, ""),  # --json
        (io.StringIO(), False, ""),  # a pipe, a CI log
    ],
)
def test_a_stage_is_one_line_on_a_terminal_only(stream: io.StringIO, quiet: bool, expected: str) -> None:
    with Progress(quiet=quiet, stream=stream).stage("planning prod", "planned"):
        pass
    assert re.fullmatch(expected, stream.getvalue())


def test_a_failed_stage_ends_its_line() -> None:
    stream = Terminal()
    with pytest.raises(RuntimeError), Progress(stream=stream).stage("planning prod", "planned"):
        raise RuntimeError("config problem")
    assert stream.getvalue() == "planning prod... stopped\n"


def test_plan_warns_when_the_artifacts_pulumi_up_needs_are_not_fetched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warn_unfetched_artifacts(tmp_path)
    err = capsys.readouterr().err
    assert "missing or modified" in err and "`blueprint artifacts fetch`" in err


def test_artifacts_status_says_missing_unverified_or_modified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ("ok", "unverified", "modified", "missing")
    catalog = Catalog("3.5.6", "2.12", tuple(Jar(f"{n}-1.0.jar", "test", coordinates=f"g:{n}:1.0") for n in names), ())
    monkeypatch.setattr(artifacts, "load_catalog", lambda: catalog)
    jars = tmp_path / "jars"
    jars.mkdir()
    for name in names[:3]:
        (jars / f"{name}-1.0.jar").write_bytes(name.encode())
    write_manifest(tmp_path, {f"jars/{n}-1.0.jar": file_sha256(jars / f"{n}-1.0.jar") for n in ("ok", "modified")})
    (jars / "modified-1.0.jar").write_bytes(b"edited after the fetch")
    assert artifacts.main(["artifacts", "status", "--dest", str(tmp_path)]) == ExitCode.FAILED
    captured = capsys.readouterr()
    for name in names:
        assert re.search(rf"^\s*{name}  jars/{name}-1.0.jar$", captured.out, re.MULTILINE), name
    assert "3 of 4 artifact(s) not usable (1 missing, 1 modified, 1 unverified)" in captured.err
