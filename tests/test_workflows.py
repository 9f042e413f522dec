"""The team's CI workflows: previews with the policy pack per stack, gated prod deploys, drift checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.config import list_stacks

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def test_pull_requests_run_tests_offline_review_and_a_policy_checked_preview_per_stack() -> None:
    workflow = load("pull-request.yml")
    jobs = workflow["jobs"]
    assert any(s.get("run") == "make test" for s in jobs["test"]["steps"])
    assert any("blueprint diff --base" in str(s.get("run")) for s in jobs["offline-review"]["steps"])
    preview = jobs["preview"]
    assert sorted(i["stack"] for i in preview["strategy"]["matrix"]["include"]) == sorted(list_stacks())
    [pulumi] = steps_using(preview, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["comment-on-pr"] is True


def test_merges_deploy_every_stack_in_order_with_manual_approval_for_prod() -> None:
    up = load("deploy.yml")["jobs"]["up"]
    include = up["strategy"]["matrix"]["include"]
    assert [i["stack"] for i in include] == ["dev", "staging", "prod", "prod-dr"], "prod-dr reads prod's outputs"
    assert up["strategy"]["max-parallel"] == 1
    assert {i["environment"] for i in include if i["stack"].startswith("prod")} == {"production"}
    [pulumi] = steps_using(up, "pulumi/actions")
    assert pulumi["with"]["command"] == "up" and pulumi["with"]["policyPacks"] == "policies"


def test_drift_check_refreshes_every_stack_in_preview_mode_on_a_schedule() -> None:
    workflow = load("drift.yml")
    assert workflow[True]["schedule"], "the 'on' key parses as True in YAML 1.1"
    job = workflow["jobs"]["refresh"]
    assert sorted(i["stack"] for i in job["strategy"]["matrix"]["include"]) == sorted(list_stacks())
    commands = " ".join(str(s.get("run", "")) for s in job["steps"])
    assert "pulumi refresh --preview-only --expect-no-changes" in commands


def test_no_long_lived_aws_keys_in_workflows() -> None:
    workflows = sorted(WORKFLOWS.glob("*.y*ml"))
    assert len(workflows) >= 3, "pull-request, deploy and drift workflows"
    for path in workflows:
        text = path.read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text, path.name
        assert "id-token: write" in text, f"{path.name} uses OIDC"
