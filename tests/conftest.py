"""Shared fixtures: every stack is planned once per test run, in one process.

Planning is the expensive part (the real program under Pulumi's mocks), so the plans are
session-scoped and shared by every test that inspects resources. They go through the plan
cache the CLI uses (.cache/plans, keyed by the content of everything a plan reads), so a
second run on an unchanged tree reads them instead of planning again; a fresh clone (CI)
plans once. `pytest --fresh-plans` plans every stack again regardless.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from infra.config import list_stacks, loader
from infra.config.clock import TODAY_ENV
from infra.offline.record import StackPlan

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_aws.*")

# Version-support rules read the date through infra.config.clock: the suite (and every
# `blueprint` subprocess it starts, which inherits the environment) sees this day, not today.
PINNED_TODAY = "2026-12-02"
os.environ[TODAY_ENV] = PINNED_TODAY

# A loaded 2-core machine must not fail a property test on timing: no deadline, no health check
# that measures speed or generation size. CI also runs a fixed (derandomized) set of examples, so
# a red build reproduces; "dev" keeps exploring new examples on every run. The fixed CI set is
# 50 examples per property (a fixed set adds no new cases from run to run; 100 cost the suite
# about 6 s), while every developer run draws 100 fresh ones.
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=50, derandomize=True, database=None, print_blob=True, **_UNTIMED)
settings.register_profile("dev", max_examples=100, **_UNTIMED)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")

STACKS = list_stacks()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fresh-plans",
        action="store_true",
        help="plan every stack again instead of reading unchanged plans from .cache/plans",
    )


def pytest_configure(config: pytest.Config) -> None:
    from tests import helpers

    helpers.REUSE_PLANS = not config.getoption("fresh_plans")


@pytest.fixture(scope="session")
def plans() -> dict[str, StackPlan]:
    from tests.helpers import cached_plans

    return cached_plans(STACKS)


@pytest.fixture(params=STACKS)
def stack_plan(request: pytest.FixtureRequest, plans: dict[str, StackPlan]) -> StackPlan:
    """Each stack's plan in turn (parametrized over every stack file)."""
    return plans[request.param]


@pytest.fixture
def stacks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of stacks/ the test may change or break; the loader reads it instead of the real one."""
    for stack_file in loader.STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, tmp_path)
    monkeypatch.setattr(loader, "STACKS", tmp_path)
    return tmp_path
