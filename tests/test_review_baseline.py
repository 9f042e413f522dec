"""`blueprint diff --base`: the base revision's planner sends its plans back as documents this revision reads."""

from __future__ import annotations

from pathlib import Path

from infra.offline.record import plan_from_document
from infra.paths import ROOT
from infra.review import assets
from infra.review.baseline import _plan_in

# A stand-in for a base revision's package: its planner returns a plan holding a file asset,
# built with the record module the child loaded from this revision (old revisions need not know it).
FAKE_RUNTIME = """
import sys
from pathlib import Path

import pulumi

record = sys.modules["blueprint_plan_record"]


def plan_stacks(stacks):
    return {s: record.StackPlan(project="p", stack=s, region="us-east-1", config={}, outputs={"job": pulumi.FileAsset(str(Path.cwd() / "jobs/main.py"))}) for s in stacks}
"""


def test_the_base_planner_sends_file_assets_relative_to_its_checkout(tmp_path: Path) -> None:
    for package in ("infra", "infra/offline"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "infra/offline/runtime.py").write_text(FAKE_RUNTIME)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs/main.py").write_text("print('base')\n")
    documents = _plan_in(tmp_path, ["dev"], "a base revision")
    assert list(documents) == ["dev"] and documents["dev"]["stack"] == "dev"
    # The base checkout's absolute path travels relative to it...
    assert str(tmp_path) not in str(documents["dev"])
    # ...and, read in this checkout, points at this checkout's file of the same path.
    plan = plan_from_document(documents["dev"], ROOT)
    assert plan.outputs["job"].path == str(ROOT / "jobs/main.py")
    assert assets.describe(plan.outputs["job"], ROOT)["fileAsset"]["path"] == "jobs/main.py"
