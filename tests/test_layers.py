"""Imports go one way (issue 11): the import-linter contracts are declared, enforced by
`make lint`, and hold for the code as it is."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def test_the_code_keeps_every_contract() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
