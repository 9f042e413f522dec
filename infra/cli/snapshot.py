"""`blueprint snapshot [STACK...] [--check]`: write (or check) the committed plan snapshots."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "snapshot", help="update the committed plan snapshots (tests/snapshots/) and diagrams (docs/architecture/)"
    )
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stacks (default: all)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; say what was checked, and on a difference print the review and exit 1",
    )
    parser.epilog = epilog(FAILED="invalid stack config, or --check found a difference")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import list_stacks
    from infra.paths import ROOT
    from infra.review import snapshot
    from infra.review.diagram import diagram_markdown, diagram_path
    from infra.review.diff import diff_snapshots
    from infra.review.render import render_markdown

    stacks = args.stacks or list_stacks()
    if unknown_stacks(stacks):
        return ExitCode.USAGE
    plans = plan_or_report(stacks)
    if plans is None:
        return ExitCode.FAILED
    diffs = []
    stale_diagrams = []
    for stack, plan in plans.items():
        page, path = diagram_markdown(plan), diagram_path(stack)
        if not path.exists() or path.read_text() != page:
            stale_diagrams.append(str(path.relative_to(ROOT)))
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(page)
                print(f"wrote {stale_diagrams[-1]}")
        current = snapshot.normalize(plan)
        committed = snapshot.load(stack)
        if committed == current:
            continue
        diffs.append(diff_snapshots(committed or {"stack": stack, "resources": {}}, current))
        if not args.check:
            print(f"wrote {snapshot.write(current).relative_to(ROOT)}")
    if not args.check:
        return ExitCode.OK
    checked = f"the plan snapshots (tests/snapshots/) and diagrams (docs/architecture/) of {', '.join(stacks)}"
    if not diffs and not stale_diagrams:
        print(f"checked {checked}: current")
        return ExitCode.OK
    if diffs:
        sys.stdout.write(render_markdown(diffs))
    for stale in stale_diagrams:
        print(f"stale: {stale}")
    command = " ".join(["blueprint snapshot", *args.stacks])
    print(
        f"checked {checked}: they differ from what the program plans now. If the review above is the change "
        f"you meant, run `{command}` and commit the files it writes; if not, fix the change.",
        file=sys.stderr,
    )
    return ExitCode.FAILED
