"""`blueprint runbooks STACK [--outputs FILE] [--peer-outputs FILE] [--out DIR] [--check]`: render the stack's runbooks.

Outputs come from FILE (`pulumi stack output --json -s STACK > FILE`) or, without it, from the
offline plan. A warm-standby primary's failover runbooks also need its peer's outputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.cli.stacks import INVALID_CONFIG, UNKNOWN_STACK, add_cache_option, plan_or_report, unknown_stacks


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
    add_cache_option(parser)
    parser.set_defaults(func=run)


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
        return UNKNOWN_STACK
    try:
        dr = read_stack_file(args.stack).get(f"{PROJECT}:dr") or {}
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return INVALID_CONFIG
    peer = str(dr.get("peerStack") or "").rsplit("/", 1)[-1] or None
    if args.outputs is not None and peer and dr.get("role", "primary") == "primary" and args.peer_outputs is None:
        print(
            f"{args.stack}'s failover runbooks need its peer's outputs too: add --peer-outputs FILE ({peer})",
            file=sys.stderr,
        )
        return 2
    try:
        outputs = read_outputs(args.outputs, args.stack) if args.outputs else None
        peer_outputs = read_outputs(args.peer_outputs, peer or "") if args.peer_outputs and peer else None
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2

    import jinja2

    from infra.runbooks import RUNBOOKS_DIR, render_stack, view_of, write_stack

    plans = plan_or_report(
        [args.stack, peer] if peer and peer in list_stacks() else [args.stack], use_cache=not args.no_cache
    )
    if plans is None:
        return INVALID_CONFIG
    peer_view = view_of(plans[peer], peer_outputs) if peer and peer in plans else None
    try:
        files = render_stack(view_of(plans[args.stack], outputs), peer_view)
    except jinja2.UndefinedError as error:
        print(
            f"cannot render {args.stack}'s runbooks: {error} (is the outputs file from an older deployment?)",
            file=sys.stderr,
        )
        return 2
    directory = args.out or RUNBOOKS_DIR
    if args.check:
        stale = [name for name, text in files.items() if _read(directory / args.stack / name) != text]
        extra = sorted(p.name for p in (directory / args.stack).glob("*.md") if p.name not in files)
        for name in stale + extra:
            print(f"{directory / args.stack / name}: differs from a fresh render", file=sys.stderr)
        return 1 if stale or extra else 0
    for path in write_stack(args.stack, files, directory):
        print(path)
    return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None
