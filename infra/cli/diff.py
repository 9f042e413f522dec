"""`blueprint diff [STACK...] [--base REF]`: a Markdown review of what a change does to each stack.

Without --base the change is measured against the committed plan snapshots
(tests/snapshots/); with --base it is measured against the plans of that git revision.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra.cli.stacks import INVALID_CONFIG, UNKNOWN_STACK, add_cache_option, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("diff", help="Markdown review of the change to each stack (risky changes first)")
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stacks to review (default: all)")
    parser.add_argument(
        "--base", metavar="GIT_REF", help="compare with the plans at this git revision instead of the snapshots"
    )
    parser.add_argument("--output", metavar="FILE", help="write the Markdown here instead of stdout")
    parser.add_argument("--fail-on-risk", action="store_true", help="exit 3 when a risky change is found")
    parser.epilog = (
        "exit codes: 0 review written, 1 invalid stack config or the base revision cannot be planned, "
        "2 bad arguments (unknown stack, unwritable --output), 3 risky change with --fail-on-risk"
    )
    add_cache_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import list_stacks

    stacks = args.stacks or list_stacks()
    if unknown_stacks(stacks):
        return UNKNOWN_STACK
    from infra.review import snapshot
    from infra.review.baseline import BaselineError, plans_at
    from infra.review.diff import diff_snapshots
    from infra.review.render import render_markdown

    current = plan_or_report(stacks, use_cache=not args.no_cache)
    if current is None:
        return INVALID_CONFIG
    try:
        base_plans = plans_at(args.base, stacks, use_cache=not args.no_cache) if args.base else None
    except BaselineError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    diffs, costs = [], {}
    for stack in stacks:
        after = snapshot.normalize(current[stack])
        if base_plans is not None:
            before = snapshot.normalize(base_plans[stack]) if stack in base_plans else _empty(stack)
        else:
            before = snapshot.load(stack) or _empty(stack)
        diffs.append(diff_snapshots(before, after))
        costs[stack] = _cost_lines(base_plans.get(stack) if base_plans else None, current[stack], before)
    markdown = render_markdown(diffs, costs)
    if args.output:
        try:
            with open(args.output, "w") as handle:
                handle.write(markdown)
        except OSError as exc:
            print(f"cannot write --output {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(markdown)
    return 3 if args.fail_on_risk and any(d.risks for d in diffs) else 0


def _empty(stack: str) -> dict[str, Any]:
    return {"stack": stack, "config": {}, "outputs": {}, "resources": {}}


def _cost_lines(base: Any, current: Any, before: dict[str, Any]) -> list[str]:
    from infra.planning.cost import cost_delta, estimate_cost, format_cost_delta

    after = estimate_cost(current)
    if base is not None:
        return format_cost_delta(cost_delta(estimate_cost(base), after))
    before_total = before.get("monthlyCostUsd")
    if before_total is None:
        return [f"${after.total:,.0f}/month (no baseline figure)"]
    delta = after.total - before_total
    return [f"Monthly cost: ${before_total:,.0f} -> ${after.total:,.0f} ({delta:+,.0f} USD)"]
