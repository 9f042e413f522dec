"""`blueprint diagram STACK`: the stack's architecture as a Mermaid flowchart."""

from __future__ import annotations

import argparse
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import add_cache_option, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("diagram", help="architecture diagram of a stack (Mermaid)")
    parser.add_argument("stack", metavar="STACK")
    parser.add_argument("--markdown", action="store_true", help="wrap in a ```mermaid block")
    parser.epilog = epilog(FAILED="invalid stack config")
    add_cache_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if unknown_stacks([args.stack]):
        return ExitCode.USAGE
    from infra.review.diagram import mermaid

    plans = plan_or_report([args.stack], use_cache=not args.no_cache)
    if plans is None:
        return ExitCode.FAILED
    plan = plans[args.stack]
    text = mermaid(plan)
    print(f"```mermaid\n{text}```" if args.markdown else text, end="" if not args.markdown else "\n")
    return ExitCode.OK
