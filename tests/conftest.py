"""Shared fixtures: every stack is planned once per test run, in one process.

Planning is the expensive part (the real program under Pulumi's mocks), so the plans are
session-scoped and shared by every test that inspects resources.
"""

from __future__ import annotations

import warnings

import pytest

from infra.config import list_stacks
from infra.offline.record import StackPlan

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_aws.*")

STACKS = list_stacks()


@pytest.fixture(scope="session")
def plans() -> dict[str, StackPlan]:
    from infra.offline.runtime import plan_stacks

    return plan_stacks(STACKS)


@pytest.fixture(params=STACKS)
def stack_plan(request: pytest.FixtureRequest, plans: dict[str, StackPlan]) -> StackPlan:
    """Each stack's plan in turn (parametrized over every stack file)."""
    return plans[request.param]
