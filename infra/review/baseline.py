"""Plans of another git revision, for `blueprint diff --base REF`.

The base revision is checked out into a temporary git worktree and planned there with its
own program and stack files (in a child process whose import path points at the worktree);
the records come back as StackPlans for this revision's reviewer, their file assets moved
to this checkout's paths so that an unchanged file compares equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra.offline.plancache import MEMO, PlanCache, stack_key, tree_digest
from infra.offline.record import StackPlan, plan_from_document
from infra.paths import PACKAGE, ROOT


class BaselineError(Exception):
    pass


def plans_at(ref: str, stacks: list[str], use_cache: bool = True) -> dict[str, StackPlan]:
    """Plan `stacks` as they are at git `ref`; stacks missing there are left out.

    A base plan is keyed by its revision's content like any plan (plancache.py): a stack whose
    program and stack files did not change since `ref` (or that an earlier review planned) is not
    planned again, and the rest are planned together in one child process.
    """
    with tempfile.TemporaryDirectory(prefix="blueprint-base-") as tmp:
        worktree = Path(tmp) / "base"
        _git("worktree", "add", "--detach", "--quiet", str(worktree), ref)
        try:
            available = {p.name[len("Pulumi.") : -len(".yaml")] for p in (worktree / "stacks").glob("Pulumi.*.yaml")}
            wanted = [s for s in stacks if s in available]
            digest = tree_digest(worktree)
            keys = {stack: stack_key(digest, worktree / "stacks", stack) for stack in wanted}
            cache = PlanCache()
            plans = {stack: MEMO.get(key) or cache.get(key) for stack, key in keys.items()} if use_cache else {}
            missing = [stack for stack in wanted if plans.get(stack) is None]
            for stack, document in (_plan_in(worktree, missing, ref) if missing else {}).items():
                plan = plans[stack] = MEMO[keys[stack]] = plan_from_document(document, ROOT)
                cache.put(keys[stack], plan)
            return {stack: plan for stack, plan in plans.items() if plan is not None}
        finally:
            _git("worktree", "remove", "--force", str(worktree))


# The child plans with the base revision's own program and serializes with this revision's
# record.py (loaded by path): old revisions need not know the plan document format.
_CHILD = """
import importlib.util, json, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("blueprint_plan_record", sys.argv[1])
record = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = record
spec.loader.exec_module(record)
from infra.offline.runtime import plan_stacks
plans = plan_stacks(sys.argv[3:])
json.dump({stack: record.plan_to_document(plan, Path(sys.argv[2])) for stack, plan in plans.items()}, sys.stdout)
"""


def _plan_in(worktree: Path, stacks: list[str], ref: str) -> dict[str, Any]:
    """Plan documents of `stacks` from the checkout in `worktree`, file assets relative to it."""
    env = {**os.environ, "PYTHONPATH": str(worktree)}
    record = PACKAGE / "offline" / "record.py"
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(record), str(worktree), *stacks],
        cwd=worktree,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BaselineError(f"planning {ref} failed:\n{result.stderr.strip()[-2000:]}")
    documents: dict[str, Any] = json.loads(result.stdout)
    return documents


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BaselineError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout
