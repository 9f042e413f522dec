"""Imports go one way (issue 11): the import-linter contracts are declared, enforced by
`make lint`, and hold for the code as it is."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from infra.paths import ROOT


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_layers_run_from_cli_down_to_config_and_cover_every_module() -> None:
    layers = _contracts()["layers"]
    assert layers["type"] == "layers" and layers["exhaustive"] and layers["containers"] == ["infra"]
    order = [name for layer in layers["layers"] for name in layer.split(" | ")]
    # config -> planning -> components -> program, with review, drills and cli on top.
    expected = ["cli", "review", "drills", "offline", "program", "components", "planning", "config", "catalog"]
    assert sorted(expected, key=order.index) == expected


def test_components_and_config_may_not_import_cli_review_or_drills() -> None:
    forbidden = _contracts()["no-upward"]
    assert forbidden["type"] == "forbidden"
    assert set(forbidden["source_modules"]) == {"infra.components", "infra.config"}
    assert set(forbidden["forbidden_modules"]) == {"infra.cli", "infra.review", "infra.drills"}


def test_no_package_import_cycle_is_allowed() -> None:
    acyclic = _contracts()["acyclic"]
    assert acyclic["type"] == "acyclic_siblings" and acyclic["ancestors"] == ["infra"]


def test_make_lint_runs_the_contracts() -> None:
    lint = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "lint-imports" in lint


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_code_keeps_every_contract() -> None:
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_an_upward_import_breaks_the_contracts(tmp_path: Path) -> None:
    """The contracts are not vacuous: a config rule importing the CLI is reported."""
    shutil.copytree(ROOT / "infra", tmp_path / "infra", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    rule = tmp_path / "infra/config/rules/kafka.py"
    rule.write_text(rule.read_text() + "\nfrom infra.cli import main\n")
    run = _lint_imports(tmp_path)
    assert run.returncode == 1
    assert "infra.config is not allowed to import infra.cli" in run.stdout
