"""No test depends on the day it runs or on how loaded the machine is (see tests/conftest.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, settings

from infra.cli import main
from infra.cli.exit_codes import ExitCode
from infra.config import clock
from tests.conftest import PINNED_TODAY


def test_the_suite_sees_the_pinned_day() -> None:
    assert clock.today() == date.fromisoformat(PINNED_TODAY)


def test_without_a_pin_the_clock_is_the_system_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.TODAY_ENV)
    assert clock.today() == date.today()


def test_a_pin_that_is_not_a_date_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, "next tuesday")
    with pytest.raises(ValueError, match="BLUEPRINT_TODAY='next tuesday' is not a date"):
        clock.today()


def test_the_cli_refuses_a_mistyped_pin_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, "2026-13-01")
    assert main(["plan", "dev"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "BLUEPRINT_TODAY='2026-13-01' is not a date (YYYY-MM-DD)" in err and "Traceback" not in err


def test_property_tests_never_fail_on_timing() -> None:
    assert settings.default.deadline is None
    assert {HealthCheck.too_slow, HealthCheck.data_too_large} <= set(settings.default.suppress_health_check)


def test_ci_profile_replays_a_fixed_set_of_examples() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.max_examples == 50
    assert settings.get_profile("dev").max_examples == 100
