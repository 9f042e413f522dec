"""`blueprint docs [--check]`: write (or check) the generated config and outputs references in docs/."""

from __future__ import annotations

import argparse
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import plan_or_report


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "docs", help="write docs/config-reference.md, outputs-reference.md and replacement-table.md"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the stale files")
    parser.epilog = epilog(FAILED="invalid stack config, or --check found a stale file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import list_stacks
    from infra.paths import ROOT
    from infra.reference import render_all

    plans = plan_or_report(list_stacks())
    if plans is None:
        return ExitCode.FAILED
    stale = []
    for path, text in render_all(plans).items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run `blueprint docs` and commit the result)")
        return ExitCode.FAILED
    if args.check:
        print(f"checked {len(render_all(plans))} reference files: current")
    return ExitCode.OK
