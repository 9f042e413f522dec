"""The committed plan snapshots: any change to a stack's plan fails here with a readable review."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.offline.record import PlannedResource, StackPlan, plan_from_document, plan_to_document
from infra.offline.runtime import SECRET
from infra.paths import ROOT
from infra.review import assets, snapshot
from infra.review.diagram import diagram_markdown, diagram_path, mermaid
from infra.review.diff import added_or_removed, diff_snapshots
from infra.review.render import render_markdown
from tests.helpers import cached_plans, kafka_tier, plan_tier, raw_with


def test_plan_matches_the_committed_snapshot(stack_plan: StackPlan) -> None:
    committed = snapshot.load(stack_plan.stack)
    assert committed is not None, f"no snapshot for {stack_plan.stack}: run `blueprint snapshot {stack_plan.stack}`"
    current = snapshot.normalize(stack_plan)
    if current != committed:
        review = render_markdown([diff_snapshots(committed, current)])
        pytest.fail(f"the plan of {stack_plan.stack} changed; if intended, run `blueprint snapshot`.\n\n{review}")


def test_snapshots_hold_no_mock_output(plans: dict[str, StackPlan]) -> None:
    for stack in plans:
        for resource in snapshot.load(stack)["resources"].values():  # type: ignore[index]
            assert set(resource) <= {"type", "parent", "inputs", "options"}


TOPIC_ARN = "arn:aws:kafka:us-east-1:123456789012:topic/sp-dev-kafka/0c5e-2"


def _resource(name: str, outputs: dict[str, Any], inputs: dict[str, Any] | None = None) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:dev::streaming-platform::aws:msk/topic:Topic::{name}",
        type="aws:msk/topic:Topic",
        name=name,
        custom=True,
        parent=None,
        provider=None,
        region="us-east-1",
        dependencies=(),
        inputs=inputs or {},
        outputs=outputs,
    )


def _topics_and_policy(order: list[str]) -> dict[str, Any]:
    """Topics whose ARNs start with `events`'s (`events-dlq`, `events/archive`) and a policy naming them."""
    policy = {
        "Statement": [
            {"Resource": [f"{TOPIC_ARN}/events", f"{TOPIC_ARN}/events-dlq"]},
            {"Resource": f"{TOPIC_ARN}/events/*"},
            {"Resource": f"{TOPIC_ARN}/events/archive/*"},
        ]
    }
    resources = {
        "events": _resource("events", {"arn": f"{TOPIC_ARN}/events"}),
        "events-dlq": _resource("events-dlq", {"arn": f"{TOPIC_ARN}/events-dlq"}),
        "archive": _resource("archive", {"arn": f"{TOPIC_ARN}/events/archive"}),
        "policy": _resource(
            "policy", {}, {"policy": json.dumps(policy), "note": f"dead letters: {TOPIC_ARN}/events-dlq"}
        ),
    }
    plan = StackPlan("streaming-platform", "dev", "us-east-1", {"tier": "dev"}, [resources[n] for n in order])
    return snapshot.normalize(plan)["resources"]["aws:msk/topic:Topic::policy"]["inputs"]


@pytest.mark.parametrize(
    "order", [["events", "events-dlq", "archive", "policy"], ["policy", "archive", "events-dlq", "events"]]
)
def test_references_are_replaced_by_exact_value_not_by_prefix(order: list[str]) -> None:
    inputs = _topics_and_policy(order)
    assert inputs["policy"]["Statement"][0]["Resource"] == [
        "${aws:msk/topic:Topic::events.arn}",
        "${aws:msk/topic:Topic::events-dlq.arn}",
    ]
    assert inputs["policy"]["Statement"][1]["Resource"] == "${aws:msk/topic:Topic::events.arn}/*"
    assert inputs["policy"]["Statement"][2]["Resource"] == "${aws:msk/topic:Topic::archive.arn}/*", "longest first"
    assert inputs["note"] == "dead letters: ${aws:msk/topic:Topic::events-dlq.arn}"


def test_snapshot_does_not_depend_on_registration_order(plans: dict[str, StackPlan]) -> None:
    plan = plans["dev"]
    shuffled = list(plan.resources)
    random.Random(11).shuffle(shuffled)
    assert snapshot.normalize(dataclasses.replace(plan, resources=shuffled)) == snapshot.normalize(plan)
    reversed_plan = dataclasses.replace(plan, resources=plan.resources[::-1])
    assert snapshot.dump(snapshot.normalize(reversed_plan)) == snapshot.dump(snapshot.normalize(plan))


def test_secrets_are_masked_in_the_plan_and_the_snapshot() -> None:
    """With SCRAM on, the generated Kafka password reaches the plan only as a marker (the Kafka tier is enough)."""
    plan = plan_tier("dev", kafka_tier, {"kafka": {"scram": True}})
    [version] = [r for r in plan.of_type("aws:secretsmanager/secretVersion:SecretVersion") if "scram" in r.name]
    assert version.inputs["secretString"] == SECRET
    normalized = snapshot.normalize(plan)
    assert normalized["resources"][snapshot.short_urn(version.urn)]["inputs"]["secretString"] == SECRET


def test_changing_a_stack_file_fails_the_snapshot_with_a_readable_diff(stacks_dir: Path) -> None:
    (stacks_dir / "Pulumi.dev.yaml").write_text(
        yaml.safe_dump({"config": raw_with("dev", {"network": {"flowLogRetentionDays": 30}})})
    )
    changed = snapshot.normalize(cached_plans(["dev"])["dev"])
    committed = snapshot.load("dev")
    assert committed is not None
    review = render_markdown([diff_snapshots(committed, changed)])
    assert "`inputs.retentionInDays`: `14` → `30`" in review
    assert "`network.flow_log_retention_days`: `14` → `30`" in review


def test_committed_architecture_diagram_is_current(stack_plan: StackPlan) -> None:
    path = diagram_path(stack_plan.stack)
    assert path.exists() and path.read_text() == diagram_markdown(stack_plan), "run `blueprint snapshot`"


def test_diagram_shows_every_component_and_its_dependencies(stack_plan: StackPlan) -> None:
    text = mermaid(stack_plan)
    assert text.startswith("flowchart LR")
    for component in stack_plan.components():
        assert f"<b>{component.type.split(':')[-1]}</b> {component.name}" in text
    assert "network --> stack_key" in text, "the flow-log group is encrypted with the stack key"


def test_a_base_plan_sent_as_json_normalizes_like_the_plan_itself(plans: dict[str, StackPlan]) -> None:
    """`diff --base` gets the base plan as JSON from a child process: same snapshot, assets included."""
    plan = plans["prod"]
    sent = json.loads(json.dumps(plan_to_document(plan, ROOT)))
    received = snapshot.normalize(plan_from_document(sent, ROOT))
    assert received == snapshot.normalize(plan)
    assert "object at 0x" not in snapshot.dump(received)


def test_assets_are_described_by_content(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text("print(1)\n")
    first = assets.describe(pulumi.FileAsset(str(tmp_path / "job.py")), tmp_path)
    (tmp_path / "job.py").write_text("print(2)\n")
    second = assets.describe(pulumi.FileAsset(str(tmp_path / "job.py")), tmp_path)
    assert first["fileAsset"]["path"] == second["fileAsset"]["path"] == "job.py"
    assert first["fileAsset"]["sha256"] != second["fileAsset"]["sha256"]
    fetched = assets.describe(pulumi.FileAsset(str(tmp_path / "build/jars/x-1.0.jar")), tmp_path)
    assert fetched == {"fileAsset": {"path": "build/jars/x-1.0.jar"}}, "named by version whether fetched or not"
    with pytest.raises(TypeError, match="not plain data: object"):
        assets.describe(object(), tmp_path)


def test_added_alarms_read_as_one_line_each_on_the_dashboard(stacks_dir: Path) -> None:
    """A second cache shard adds alarms per node: the dashboard lists them as members, nothing re-indexed."""
    (stacks_dir / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": raw_with("dev", {"cache": {"shards": 2}})}))
    committed = snapshot.load("dev")
    assert committed is not None
    diff = diff_snapshots(committed, snapshot.normalize(cached_plans(["dev"])["dev"]))
    alarms = [c.resource for c in diff.changes if c.kind == "add" and c.type.endswith("MetricAlarm")]
    [dashboard] = [c for c in diff.changes if c.type == "aws:cloudwatch/dashboard:Dashboard"]
    members = [added_or_removed(*p) for p in dashboard.properties]
    assert sorted(m[2] for m in members if m and m[0] == "options.dependsOn") == sorted(alarms)
    assert len([m for m in members if m and m[0].endswith("properties.alarms")]) == len(alarms) > 0
    assert not [p for p, _, _ in dashboard.properties if re.search(r"(alarms|dependsOn)\[\d+\]", p)]
