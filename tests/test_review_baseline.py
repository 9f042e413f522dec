"""`blueprint diff --base`: the base revision's planner sends its plans back with assets described by this revision."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pulumi

from infra.review import assets
from infra.review.baseline import CHILD

# A stand-in for a base revision's package: its planner returns a plan holding a file asset.
FAKE_RUNTIME = """
import dataclasses
import pulumi


@dataclasses.dataclass
class Plan:
    stack: str
    inputs: dict


def plan_stacks(stacks):
    return {s: Plan(s, {"source": pulumi.FileAsset("jobs/main.py")}) for s in stacks}
"""


def test_the_base_planner_describes_assets_with_this_revisions_code(tmp_path: Path) -> None:
    for package in ("infra", "infra/offline"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "infra/offline/runtime.py").write_text(FAKE_RUNTIME)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs/main.py").write_text("print('base')\n")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, assets.__file__, "dev"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    expected = assets.describe(pulumi.FileAsset(str(tmp_path / "jobs/main.py")), tmp_path)
    assert json.loads(result.stdout) == {"dev": {"stack": "dev", "inputs": {"source": expected}}}
    assert expected["fileAsset"]["path"] == "jobs/main.py" and "sha256" in expected["fileAsset"]
