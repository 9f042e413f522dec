"""`blueprint runbooks STACK [--outputs FILE] [--peer-outputs FILE] [--out DIR] [--check]`: render the stack's runbooks.

Outputs come from FILE (`pulumi stack output --json -s STACK > FILE`; the runbooks print its
identifiers and the file's date) or, without it, from the offline plan (the runbooks then read
identifiers from the stack outputs when they run). A warm-standby primary's failover runbooks also need its peer's outputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import add_cache_option, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("runbooks", help="render the stack's runbooks into runbooks/<stack>/")
    parser.add_argument("stack", metavar="STACK", help="stack name, e.g. prod")
    parser.add_argument(
        "--outputs", type=Path, metavar="FILE", help="`pulumi stack output --json` of STACK (default: offline plan)"
    )
    parser.add_argument(
        "--peer-outputs", type=Path, metavar="FILE", help="the same for STACK's DR peer (with --outputs)"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="write under DIR/<stack>/ (default: runbooks/)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files on disk differ")
    parser.epilog = epilog(
        FAILED="invalid stack config, or --check found a difference",
        USAGE="bad arguments or input (unknown stack, missing or mismatched --outputs)",
    )
    add_cache_option(parser)
    parser.set_defaults(func=run)


def taken_on(path: Path) -> str:
    """The date an outputs file was written: the runbooks say how old the identifiers they print are."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()


def read_outputs(path: Path, stack: str) -> dict[str, Any]:
    """A `pulumi stack output --json` file; ValueError with a clear message when it is not one for ``stack``."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a JSON object of stack outputs")
    if document.get("stack") not in (None, stack):
        raise ValueError(f"{path} holds the outputs of stack '{document['stack']}', not '{stack}'")
    return document


def run(args: argparse.Namespace) -> int:
    from infra.config import ConfigError, list_stacks, read_stack_file
    from infra.config.problems import PROJECT

    if unknown_stacks([args.stack]):
        return ExitCode.USAGE
    try:
        dr = read_stack_file(args.stack).get(f"{PROJECT}:dr") or {}
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return ExitCode.FAILED
    peer = str(dr.get("peerStack") or "").rsplit("/", 1)[-1] or None
    if args.outputs is not None and peer and dr.get("role", "primary") == "primary" and args.peer_outputs is None:
        print(
            f"{args.stack}'s failover runbooks need its peer's outputs too: add --peer-outputs FILE ({peer})",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    try:
        outputs = read_outputs(args.outputs, args.stack) if args.outputs else None
        peer_outputs = read_outputs(args.peer_outputs, peer or "") if args.peer_outputs and peer else None
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return ExitCode.USAGE

    import jinja2

    from infra.paths import RUNBOOKS
    from infra.runbooks import mock_values, render_stack, view_of, write_stack

    plans = plan_or_report(
        [args.stack, peer] if peer and peer in list_stacks() else [args.stack], use_cache=not args.no_cache
    )
    if plans is None:
        return ExitCode.FAILED
    invented = set().union(*(mock_values(plan) for plan in plans.values()))
    peer_view = (
        view_of(plans[peer], peer_outputs, taken_on(args.peer_outputs) if args.peer_outputs else None, invented)
        if peer and peer in plans
        else None
    )
    try:
        own = view_of(plans[args.stack], outputs, taken_on(args.outputs) if args.outputs else None, invented)
        files = render_stack(own, peer_view)
    except jinja2.UndefinedError as error:
        print(
            f"cannot render {args.stack}'s runbooks: {error} (is the outputs file from an older deployment?)",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    directory = args.out or RUNBOOKS
    if args.check:
        stale = [name for name, text in files.items() if _read(directory / args.stack / name) != text]
        extra = sorted(p.name for p in (directory / args.stack).glob("*.md") if p.name not in files)
        for name in stale + extra:
            print(f"{directory / args.stack / name}: differs from a fresh render", file=sys.stderr)
        return ExitCode.FAILED if stale or extra else ExitCode.OK
    for path in write_stack(args.stack, files, directory):
        print(path)
    return ExitCode.OK


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None
