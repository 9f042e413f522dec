"""`blueprint plan STACK | --all [--json]`: the offline plan of one or every stack."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import add_cache_option, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("plan", help="run the program offline (mocked AWS) and print the plan of a stack")
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stack name(s), e.g. dev prod")
    parser.add_argument("--all", action="store_true", help="plan every stack in stacks/ in one process")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON (docs/schemas/plan.schema.json): resources, counts, cost, critical path, policy results",
    )
    parser.epilog = epilog(FAILED="invalid stack config", BLOCKED="mandatory policy violations")
    add_cache_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import list_stacks

    available = list_stacks()
    if args.all and args.stacks:
        print(f"name stacks ({', '.join(args.stacks)}) or use --all, not both", file=sys.stderr)
        return ExitCode.USAGE
    stacks = available if args.all else args.stacks
    if not stacks:
        print(f"name a stack ({', '.join(available)}) or use --all", file=sys.stderr)
        return ExitCode.USAGE
    if unknown_stacks(stacks):
        return ExitCode.USAGE
    from infra.review.plan import policy_violations, render_plan
    from infra.review.report import plan_document

    plans = plan_or_report(stacks, quiet=args.json, use_cache=not args.no_cache)
    if plans is None:
        return ExitCode.FAILED
    warn_unfetched_artifacts()
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
        return ExitCode.BLOCKED
    return ExitCode.OK


def warn_unfetched_artifacts(build_dir: Path | None = None) -> None:
    """The offline plan needs no jars or wheels, but `pulumi up` uploads them from build/ and stops without them."""
    from infra.catalog.artifacts import load_catalog, missing_or_modified
    from infra.paths import BUILD

    directory = build_dir or BUILD
    missing = missing_or_modified(load_catalog(), directory)
    if missing:
        print(
            f"warning: {len(missing)} job artifact(s) missing or modified in {directory}, so `pulumi up` would "
            "stop: run `blueprint artifacts fetch` (`blueprint artifacts status` lists them)",
            file=sys.stderr,
        )
