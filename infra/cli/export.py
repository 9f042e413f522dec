"""`blueprint export STACK... --format terraform-plan [-o PATH]`: the offline plan for other tools (scanners).

One stack writes to PATH (or stdout); several stacks, planned in one process, write
``PATH/<stack>.tfplan.json`` each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.cli.exit_codes import ExitCode, epilog
from infra.cli.stacks import plan_or_report, unknown_stacks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("export", help="the offline plan as Terraform plan JSON (for checkov and similar)")
    parser.add_argument("stacks", nargs="+", metavar="STACK")
    parser.add_argument("--format", choices=["terraform-plan"], default="terraform-plan")
    parser.add_argument(
        "-o", "--output", type=Path, help="file to write (default: stdout); a directory when several stacks are given"
    )
    parser.epilog = epilog(FAILED="invalid stack config")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if unknown_stacks(args.stacks):
        return ExitCode.USAGE
    if len(args.stacks) > 1 and args.output is None:
        print("several stacks need -o DIRECTORY", file=sys.stderr)
        return ExitCode.USAGE
    from infra.export.terraform_plan import terraform_plan

    plans = plan_or_report(args.stacks)
    if plans is None:
        return ExitCode.FAILED
    for stack in args.stacks:
        text = json.dumps(terraform_plan(plans[stack]), indent=1, sort_keys=True) + "\n"
        if args.output is None:
            sys.stdout.write(text)
            continue
        path = args.output / f"{stack}.tfplan.json" if len(args.stacks) > 1 else args.output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ExitCode.OK
