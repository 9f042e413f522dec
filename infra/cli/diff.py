"""`blueprint diff [STACK...] [--base REF] [--json]`: a review of what a change does to each stack.

Without --base the change is measured against the committed plan snapshots
(tests/snapshots/); with --base it is measured against the plans of that git revision.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.progress import Progress
from infra.cli.stacks import add_cache_option, plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("diff", help="Markdown review of the change to each stack (risky changes first)")
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="stacks to review (default: all)")
    parser.add_argument(
        "--base", metavar="GIT_REF", help="compare with the plans at this git revision instead of the snapshots"
    )
    parser.add_argument("--output", metavar="FILE", help="write the review here instead of stdout")
    parser.add_argument("--json", action="store_true", help="JSON instead of Markdown (docs/schemas/diff.schema.json)")
    parser.add_argument("--fail-on-risk", action="store_true", help="exit 3 when a risky change is found")
    parser.epilog = epilog(
        FAILED="invalid stack config, or the base revision cannot be planned",
        BLOCKED="a risky change with --fail-on-risk",
    )
    add_cache_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.config import list_stacks

    stacks = args.stacks or list_stacks()
    if unknown_stacks(stacks):
        return ExitCode.USAGE
    from infra.review import snapshot
    from infra.review.baseline import BaselineError, plans_at
    from infra.review.diff import diff_snapshots
    from infra.review.render import render_markdown
    from infra.review.report import cost_change, diff_document, dr_pairs

    current = plan_or_report(stacks, use_cache=not args.no_cache)
    if current is None:
        return ExitCode.FAILED
    base_plans = None
    try:
        if args.base:
            with Progress().stage(f"planning {', '.join(stacks)} at {args.base}", "planned"):
                base_plans = plans_at(args.base, stacks, use_cache=not args.no_cache)
    except BaselineError as exc:
        print(str(exc), file=sys.stderr)
        return ExitCode.FAILED
    diffs, costs = [], {}
    for stack in stacks:
        after = snapshot.normalize(current[stack])
        if base_plans is not None:
            before = snapshot.normalize(base_plans[stack]) if stack in base_plans else _empty(stack)
        else:
            before = snapshot.load(stack) or _empty(stack)
        diffs.append(diff_snapshots(before, after, current[stack]))
        costs[stack] = cost_change(base_plans.get(stack) if base_plans else None, current[stack], before)
    pairs = dr_pairs(current, costs)
    if args.json:
        document = diff_document(diffs, costs, pairs, f"git:{args.base}" if args.base else "snapshots")
        review = json.dumps(document, indent=2) + "\n"
    else:
        review = render_markdown(diffs, costs, pairs)
    if args.output:
        try:
            with open(args.output, "w") as handle:
                handle.write(review)
        except OSError as exc:
            print(f"cannot write --output {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return ExitCode.USAGE
    else:
        sys.stdout.write(review)
    return ExitCode.BLOCKED if args.fail_on_risk and any(d.risks for d in diffs) else ExitCode.OK


def _empty(stack: str) -> dict[str, Any]:
    return {"stack": stack, "config": {}, "outputs": {}, "resources": {}}
