"""What the plan-based commands share: checking stack names and planning them, errors as exit codes.

A name with no stack file is ExitCode.USAGE (the stacks there are listed), an invalid stack
config ExitCode.FAILED (its problems printed, never a traceback). Every command plans through
``plan`` here, so each shows the same progress lines.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from infra.cli.progress import Progress

if TYPE_CHECKING:
    import argparse

    from infra.offline.record import StackPlan


def unknown_stacks(stacks: Sequence[str]) -> bool:
    """True (after saying which, and which stacks exist) when a name has no stack file in stacks/."""
    from infra.config import list_stacks

    available = list_stacks()
    unknown = [s for s in stacks if s not in available]
    if unknown:
        print(f"unknown stack(s): {', '.join(unknown)}; stacks/ has: {', '.join(available)}", file=sys.stderr)
    return bool(unknown)


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache", action="store_true", help="plan again even if .cache/plans/ holds a plan of the same content"
    )


def plan(stacks: Sequence[str], *, quiet: bool = False, use_cache: bool = True) -> dict[str, StackPlan]:
    """The offline plans of `stacks`, from .cache/plans/ when nothing they depend on changed (plancache.py);
    a progress line per stack planned (unless `quiet`); raises ConfigError."""
    from infra.offline.plancache import PlanCache
    from infra.offline.runtime import plan_stacks

    progress = Progress(quiet=quiet)
    return plan_stacks(
        stacks,
        cache=PlanCache(),
        reuse=use_cache,
        stage=lambda stack: progress.stage(f"planning {stack}", "planned"),
    )


def plan_or_report(
    stacks: Sequence[str], *, quiet: bool = False, use_cache: bool = True
) -> dict[str, StackPlan] | None:
    """The offline plans of `stacks`, or None after printing the config problems that stop them."""
    from infra.config import ConfigError

    try:
        return plan(stacks, quiet=quiet, use_cache=use_cache)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return None
