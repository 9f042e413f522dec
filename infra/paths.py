"""Where the repository keeps what the code reads and writes: the one place paths are computed.

Modules import these names instead of counting ``parents`` from their own file, so moving a
module never silently points it at another directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DATA = PACKAGE / "data"
"""Catalogs the code reads: AWS facts, prices, create times, the job's jars (infra/data/*.yaml)."""
STACKS = ROOT / "stacks"
TEMPLATES = ROOT / "templates"
RUNBOOKS = ROOT / "runbooks"
JOB_SOURCE = ROOT / "jobs" / "streaming_job"
CANARY_SOURCE = ROOT / "canary" / "rpo_canary"
SNAPSHOTS = ROOT / "tests" / "snapshots"
DOCS = ROOT / "docs"
DIAGRAMS = DOCS / "architecture"
DRILL_REPORTS = ROOT / "drill-reports"
"""Drill state files and reports (`blueprint drill`); .gitignore keeps them out of commits."""
BUILD = ROOT / "build"
"""Fetched artifacts and the packaged job (`blueprint artifacts fetch`); not committed."""
CANARY_DEPENDENCIES = BUILD / "canary-deps"
"""The RPO canary's libraries (`pip install -r canary/requirements.txt --target build/canary-deps`)."""
