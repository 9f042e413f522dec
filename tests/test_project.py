"""Project files: Pulumi.yaml against Pulumi's own schema, pinned dependencies."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_CANDIDATES = [
    ROOT.parent / "shared/schemas/pulumi-project.schema.json",
    ROOT / "tests/data/pulumi-project.schema.json",
]


def test_pulumi_yaml_validates_against_pulumis_project_schema() -> None:
    schema_path = next(p for p in SCHEMA_CANDIDATES if p.exists())
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    errors = list(jsonschema.Draft7Validator(json.loads(schema_path.read_text())).iter_errors(project))
    assert not errors
    assert project["name"] == "streaming-platform" and project["main"] == "infra/"
    assert project["stackConfigDir"] == "stacks"
    assert project["runtime"]["options"]["toolchain"] == "uv" and project["runtime"]["options"]["virtualenv"]


def test_every_dependency_is_pinned_and_locked() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requirements = pyproject["project"]["dependencies"] + [
        d for g in pyproject["dependency-groups"].values() for d in g
    ]
    assert all("==" in r for r in requirements), [r for r in requirements if "==" not in r]
    pins = {r.split("[")[0].split("==")[0].lower(): r.split("==")[1] for r in requirements}
    assert pins["pulumi"].startswith("3.272.") and pins["pulumi-aws"].startswith("7.51.")
    assert (ROOT / "uv.lock").exists()
