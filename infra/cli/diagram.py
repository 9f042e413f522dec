"""`blueprint diagram STACK`: the stack's architecture as a Mermaid flowchart."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("diagram", help="architecture diagram of a stack (Mermaid)")
    parser.add_argument("stack", metavar="STACK")
    parser.add_argument("--markdown", action="store_true", help="wrap in a ```mermaid block")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import ConfigError, list_stacks

    if args.stack not in list_stacks():
        print(f"unknown stack: {args.stack}; stacks/ has: {', '.join(list_stacks())}", file=sys.stderr)
        return 2
    from infra.offline.runtime import plan_stacks
    from infra.review.diagram import mermaid

    try:
        plan = plan_stacks([args.stack])[args.stack]
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    text = mermaid(plan)
    print(f"```mermaid\n{text}```" if args.markdown else text, end="" if not args.markdown else "\n")
    return 0
