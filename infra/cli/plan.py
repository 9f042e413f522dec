"""`blueprint plan STACK | --all [--json]`: the offline plan of one or every stack."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli.stacks import INVALID_CONFIG, UNKNOWN_STACK, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("plan", help="run the program offline (mocked AWS) and print the plan of a stack")
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stack name(s), e.g. dev prod")
    parser.add_argument("--all", action="store_true", help="plan every stack in stacks/ in one process")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON (docs/schemas/plan.schema.json): resources, counts, cost, critical path, policy results",
    )
    parser.epilog = "exit codes: 0 plan ok, 1 invalid stack config, 2 bad arguments, 3 mandatory policy violations"
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import list_stacks

    available = list_stacks()
    if args.all and args.stacks:
        print(f"name stacks ({', '.join(args.stacks)}) or use --all, not both", file=sys.stderr)
        return 2
    stacks = available if args.all else args.stacks
    if not stacks:
        print(f"name a stack ({', '.join(available)}) or use --all", file=sys.stderr)
        return 2
    if unknown_stacks(stacks):
        return UNKNOWN_STACK
    from infra.offline.render import policy_violations, render_plan
    from infra.review.report import plan_document

    plans = plan_or_report(stacks)
    if plans is None:
        return INVALID_CONFIG
    violations = {stack: policy_violations(plan) for stack, plan in plans.items()}
    blocked = [stack for stack, found in violations.items() if any(v.blocking for v in found)]
    if args.json:
        json.dump(plan_document(plans, violations), sys.stdout, indent=2)
        print()
    else:
        print(("\n\n" + "=" * 78 + "\n\n").join("\n".join(render_plan(p, violations[s])) for s, p in plans.items()))
    if blocked:
        print(
            f"\nmandatory policy violations in: {', '.join(blocked)} (a real `pulumi up` would stop)", file=sys.stderr
        )
        return 3
    return 0
