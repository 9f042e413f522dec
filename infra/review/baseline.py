"""Plans of another git revision, for `blueprint diff --base REF`.

The base revision is checked out into a temporary git worktree and planned there with its
own program and stack files (a child process whose import path points at the worktree);
the records come back as StackPlans for this revision's reviewer. Assets are described in
the child by this revision's assets.py, so both sides of the review read them the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra.offline.record import PlannedResource, StackPlan
from infra.paths import ROOT
from infra.review import assets

# Run in the base worktree: its own planner, this revision's asset descriptions (argv[1]).
CHILD = """
import runpy, sys
from pathlib import Path
from infra.offline.runtime import plan_stacks
sys.stdout.write(runpy.run_path(sys.argv[1])["dump_plans"](plan_stacks(sys.argv[2:]), Path.cwd()))
"""


class BaselineError(Exception):
    pass


def plan_from_json(document: dict[str, Any]) -> StackPlan:
    resources = [
        PlannedResource(
            **{
                **r,
                **{k: tuple(r[k]) for k in ("dependencies", "ignore_changes", "replace_on_changes", "aliases")},
                "property_dependencies": {k: tuple(v) for k, v in r["property_dependencies"].items()},
            }
        )
        for r in document["resources"]
    ]
    return StackPlan(**{**document, "resources": resources})


def plans_at(ref: str, stacks: list[str]) -> dict[str, StackPlan]:
    """Plan `stacks` as they are at git `ref`; stacks missing there are left out."""
    with tempfile.TemporaryDirectory(prefix="blueprint-base-") as tmp:
        worktree = Path(tmp) / "base"
        _git("worktree", "add", "--detach", "--quiet", str(worktree), ref)
        try:
            available = {p.name[len("Pulumi.") : -len(".yaml")] for p in (worktree / "stacks").glob("Pulumi.*.yaml")}
            wanted = [s for s in stacks if s in available]
            if not wanted:
                return {}
            env = {**os.environ, "PYTHONPATH": str(worktree)}
            result = subprocess.run(
                [sys.executable, "-c", CHILD, assets.__file__, *wanted],
                cwd=worktree,
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BaselineError(f"planning {ref} failed:\n{result.stderr.strip()[-2000:]}")
            return {stack: plan_from_json(doc) for stack, doc in json.loads(result.stdout).items()}
        finally:
            _git("worktree", "remove", "--force", str(worktree))


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BaselineError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout
