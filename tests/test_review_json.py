"""`blueprint plan --json` and `blueprint diff --json`: documents that follow the committed JSON Schemas."""

from __future__ import annotations

import copy
import io
import json
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.cli import main
from infra.offline.record import StackPlan
from infra.review import snapshot
from infra.review.diff import diff_snapshots
from infra.review.plan import policy_violations
from infra.review.report import cost_change, diff_document, dr_pairs, plan_document

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm::observability-kafka-new"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard::observability-dashboard"
MSK = "aws:msk/cluster:Cluster::kafka-cluster"


def validate(document: dict[str, Any], schema: str) -> None:
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema).read_text()))
    validator.check_schema(validator.schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, "\n".join(errors[:10])


@pytest.fixture
def cli_plans(plans: dict[str, StackPlan], monkeypatch: pytest.MonkeyPatch) -> dict[str, StackPlan]:
    """The commands plan through plan_or_report: hand them the session's plans instead of re-planning."""
    for command in ("plan", "diff"):
        monkeypatch.setattr(f"infra.cli.{command}.plan_or_report", lambda stacks, **_: {s: plans[s] for s in stacks})
    return plans


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_plan_json_follows_its_schema_for_every_stack(cli_plans: dict[str, StackPlan]) -> None:
    code, out = run("plan", "--all", "--json")
    document = json.loads(out)
    validate(document, "plan.schema.json")
    assert code == 0 and list(document["stacks"]) == list(cli_plans)
    prod = document["stacks"]["prod"]
    assert prod["counts"]["resources"] == len(prod["resources"]) == len(list(cli_plans["prod"].custom_resources()))
    assert sum(prod["counts"]["byType"].values()) == prod["counts"]["resources"]
    assert prod["cost"]["monthly"] == pytest.approx(sum(prod["cost"]["byComponent"].values()), abs=0.05)
    assert prod["criticalPath"]["path"][-1]["finish"] == pytest.approx(prod["criticalPath"]["minutes"], abs=0.05)


def test_plan_json_reports_policy_results(plans: dict[str, StackPlan]) -> None:
    violations = {stack: policy_violations(plan) for stack, plan in plans.items()}
    document = plan_document(plans, violations)
    for stack, found in violations.items():
        policy = document["stacks"][stack]["policy"]
        assert policy["mandatory"] + policy["advisory"] == len(found) == len(policy["violations"])


def _with_new_alarm_and_replaced_cluster(before: dict[str, Any]) -> dict[str, Any]:
    after = copy.deepcopy(before)
    after["resources"][ALARM] = {"type": "aws:cloudwatch/metricAlarm:MetricAlarm", "inputs": {"threshold": 1}}
    after["resources"][DASHBOARD]["options"]["dependsOn"].insert(0, ALARM)
    after["resources"][MSK]["inputs"]["clusterName"] = "sp-prod-kafka-2"
    return after


def test_diff_json_lists_each_resource_with_action_paths_and_risks(plans: dict[str, StackPlan]) -> None:
    diffs, costs = [], {}
    for stack in ("prod", "prod-dr"):
        before = snapshot.load(stack)
        assert before is not None
        after = _with_new_alarm_and_replaced_cluster(before) if stack == "prod" else before
        diffs.append(diff_snapshots(before, after))
        costs[stack] = cost_change(None, plans[stack], before)
    document = diff_document(diffs, costs, dr_pairs(plans, costs), "snapshots")
    validate(document, "diff.schema.json")
    prod, prod_dr = document["stacks"]
    resources = {r["resource"]: r for r in prod["resources"]}
    assert resources[ALARM]["action"] == "create" and resources[ALARM]["name"] == "observability-kafka-new"
    assert resources[DASHBOARD]["action"] == "update"
    assert resources[DASHBOARD]["changedPaths"] == ["options.dependsOn"]
    assert resources[MSK]["action"] == "replace"
    assert resources[MSK]["changedPaths"] == ["inputs.clusterName"]
    assert any("REPLACE stateful MSK cluster" in risk for risk in resources[MSK]["risks"])
    # Replacing the cluster takes what reads its new ARN with it (the replacement engine's cascade).
    assert prod["summary"] == dict(Counter(r["action"] for r in prod["resources"]))
    assert prod["summary"]["create"] == 1 and prod["summary"]["replace"] > 1
    assert prod_dr["resources"] == [] and prod_dr["summary"] == {}
    assert document["risks"] == len(prod["risks"]) > 0
    [pair] = document["drPairs"]
    assert pair["stacks"] == ["prod", "prod-dr"]
    assert pair["cost"]["after"] == pytest.approx(prod["cost"]["after"] + prod_dr["cost"]["after"], abs=0.02)


def test_diff_cli_json_and_markdown_show_the_dr_pair_total(cli_plans: dict[str, StackPlan]) -> None:
    code, out = run("diff", "prod", "prod-dr", "--json")
    document = json.loads(out)
    validate(document, "diff.schema.json")
    assert code == 0 and document["base"] == "snapshots"
    assert [s["stack"] for s in document["stacks"]] == ["prod", "prod-dr"]
    assert [p["stacks"] for p in document["drPairs"]] == [["prod", "prod-dr"]]
    code, markdown = run("diff", "prod", "prod-dr")
    assert code == 0 and markdown.startswith("# Infrastructure review")
    assert "## DR pairs" in markdown and "DR pair `prod` + `prod-dr`" in markdown
    _, alone = run("diff", "prod")
    assert "DR pair" not in alone, "a pair's total needs both stacks in the review"
