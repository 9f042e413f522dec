"""`blueprint plan STACK | --all [--json]`: the offline plan of one or every stack."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli.stacks import INVALID_CONFIG, UNKNOWN_STACK, add_cache_option, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("plan", help="run the program offline (mocked AWS) and print the plan of a stack")
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stack name(s), e.g. dev prod")
    parser.add_argument("--all", action="store_true", help="plan every stack in stacks/ in one process")
    parser.add_argument("--json", action="store_true", help="emit the full record as JSON")
    parser.epilog = "exit codes: 0 plan ok, 1 invalid stack config, 2 bad arguments, 3 mandatory policy violations"
    add_cache_option(parser)
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
    from infra.offline.render import plan_to_json, policy_violations, render_plan

    plans = plan_or_report(stacks, use_cache=not args.no_cache)
    if plans is None:
        return INVALID_CONFIG
    if args.json:
        document: dict[str, Any] = {name: plan_to_json(plan) for name, plan in plans.items()}
        json.dump(document if len(stacks) > 1 else document[stacks[0]], sys.stdout, indent=2, default=str)
        print()
        return 0
    blocked = []
    for index, plan in enumerate(plans.values()):
        if index:
            print("\n" + "=" * 78 + "\n")
        violations = policy_violations(plan)
        print("\n".join(render_plan(plan, violations)))
        if any(v.blocking for v in violations):
            blocked.append(plan.stack)
    if blocked:
        print(
            f"\nmandatory policy violations in: {', '.join(blocked)} (a real `pulumi up` would stop)", file=sys.stderr
        )
        return 3
    return 0
