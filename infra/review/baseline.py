"""Plans of another git revision, for `blueprint diff --base REF`.

The base revision is checked out into a temporary git worktree and planned there with its
own program and stack files (`blueprint plan --json` in a child process whose import path
points at the worktree); the records come back as StackPlans for this revision's reviewer.
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
            script = "import sys; from infra.cli import main; sys.exit(main(['plan', '--json', *sys.argv[1:]]))"
            result = subprocess.run(
                [sys.executable, "-c", script, *wanted], cwd=worktree, env=env, capture_output=True, text=True
            )
            if result.returncode != 0:
                raise BaselineError(f"planning {ref} failed:\n{result.stderr.strip()[-2000:]}")
            document = json.loads(result.stdout)
            documents = {wanted[0]: document} if len(wanted) == 1 else document
            return {stack: plan_from_json(doc) for stack, doc in documents.items()}
        finally:
            _git("worktree", "remove", "--force", str(worktree))


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BaselineError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout
