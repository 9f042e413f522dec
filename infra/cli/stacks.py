"""What the plan-based commands share: checking stack names and planning them, errors as exit codes.

Exit codes follow `blueprint plan`: 2 for a name with no stack file, 1 for an invalid stack
config (its problems printed, never a traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from infra.offline.record import StackPlan

UNKNOWN_STACK = 2
INVALID_CONFIG = 1


def unknown_stacks(stacks: Sequence[str]) -> bool:
    """True (after saying which) when a name has no stack file in stacks/."""
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


def cached_plans(stacks: Sequence[str], use_cache: bool = True) -> dict[str, StackPlan]:
    """The offline plans of `stacks`, from .cache/plans/ when nothing they depend on changed (see plancache.py)."""
    from infra.offline.plancache import PlanCache
    from infra.offline.runtime import plan_stacks

    return plan_stacks(stacks, cache=PlanCache(), reuse=use_cache)


def plan_or_report(stacks: Sequence[str], use_cache: bool = True) -> dict[str, StackPlan] | None:
    """The offline plans of `stacks`, or None after printing the config problems that stop them."""
    from infra.config import ConfigError

    try:
        return cached_plans(stacks, use_cache)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return None
