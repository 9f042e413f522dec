"""The RPO canary component: where it runs, what its role may do, how it is packaged, what it alarms on."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.components import canary
from infra.offline.record import PlannedResource, StackPlan


def _by_name(plan: StackPlan, type_token: str, name: str) -> PlannedResource:
    return next(r for r in plan.of_type(type_token) if r.name == name)


def _policy(plan: StackPlan) -> dict[str, Any]:
    return {
        s["Sid"]: s
        for s in json.loads(_by_name(plan, "aws:iam/rolePolicy:RolePolicy", "rpo-canary-policy").inputs["policy"])[
            "Statement"
        ]
    }


def test_the_dr_pair_runs_a_writer_in_the_active_region_and_a_reader_in_the_standby(
    plans: dict[str, StackPlan],
) -> None:
    env = {
        stack: plans[stack].one("aws:lambda/function:Function").inputs["environment"]["variables"]
        for stack in ("prod", "prod-dr")
    }
    assert (env["prod"]["CANARY_WRITES"], env["prod"]["CANARY_SOURCE_REGION"]) == ("true", "us-east-1")
    assert (env["prod-dr"]["CANARY_WRITES"], env["prod-dr"]["CANARY_SOURCE_REGION"]) == ("false", "us-east-1")
    assert "S3_WRITE_BUCKET" in env["prod"] and "S3_WRITE_BUCKET" not in env["prod-dr"]
    assert env["prod-dr"]["S3_READ_BUCKET"] == plans["prod-dr"].outputs["lakeBucket"]["name"]
    assert env["prod"]["CACHE_USER"] == plans["prod"].outputs["cacheIamUserId"]
    assert plans["prod"].outputs["canary"]["writes"] is True and plans["prod-dr"].outputs["canary"]["writes"] is False
    # The Replicator creates the standby's topic; only the primary declares it.
    assert [t.inputs["name"] for t in plans["prod"].of_type("aws:msk/topic:Topic") if t.name == "rpo-canary-topic"] == [
        "rpo-canary"
    ]
    assert not [t for t in plans["prod-dr"].of_type("aws:msk/topic:Topic") if t.name == "rpo-canary-topic"]


def test_dev_has_no_canary_by_default_and_staging_and_prod_have_one(plans: dict[str, StackPlan]) -> None:
    assert not plans["dev"].of_type("aws:lambda/function:Function") and "canary" not in plans["dev"].outputs
    for stack in ("staging", "prod", "prod-dr"):
        assert plans[stack].outputs["canary"]["metricStack"] == stack
        assert plans[stack].outputs["canary"]["namespace"] == "StreamingPlatform/Canary"


def test_the_function_runs_in_the_private_app_subnets_under_the_canary_group(plans: dict[str, StackPlan]) -> None:
    plan = plans["prod"]
    function = plan.one("aws:lambda/function:Function")
    assert function.inputs["runtime"] == "python3.12" and function.inputs["handler"] == "rpo_canary.handler.handler"
    assert function.inputs["vpcConfig"]["subnetIds"] == plan.outputs["privateAppSubnetIds"]
    groups = plan.outputs["securityGroupIds"]
    assert function.inputs["vpcConfig"]["securityGroupIds"] == [groups["canary"]]
    # The data tiers admit the network's canary group on their client ports.
    ingress = {
        (r.inputs["securityGroupId"], r.inputs["fromPort"])
        for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("referencedSecurityGroupId") == groups["canary"]
    }
    assert ingress == {(groups["kafka"], 9098), (groups["kafka"], 9094), (groups["cache"], 6379)}
    assert "canary" not in plans["dev"].outputs["securityGroupIds"]  # no canary, no group
    log_group = _by_name(plan, "aws:cloudwatch/logGroup:LogGroup", "rpo-canary-logs")
    assert log_group.inputs["kmsKeyId"] == plan.outputs["kmsKeyArn"] and log_group.inputs["retentionInDays"] == 365
    schedule = _by_name(plan, "aws:scheduler/schedule:Schedule", "rpo-canary-schedule")
    assert schedule.inputs["scheduleExpression"] == "rate(1 minute)"
    assert schedule.inputs["target"]["arn"] == function.outputs["arn"]


def test_the_role_reaches_only_the_canary_topic_namespace_and_prefix(plans: dict[str, StackPlan]) -> None:
    writer, reader = _policy(plans["prod"]), _policy(plans["prod-dr"])
    assert writer["TheCanaryTopicOnly"]["Resource"].endswith("/rpo-canary")
    assert "kafka-cluster:WriteData" in writer["TheCanaryTopicOnly"]["Action"]
    assert "kafka-cluster:WriteData" not in reader["TheCanaryTopicOnly"]["Action"]
    assert writer["CanaryMetricsOnly"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "StreamingPlatform/Canary"}
    }
    assert writer["WriteTheCanaryPrefix"]["Resource"].endswith("/canary/us-east-1/*")
    assert "WriteTheCanaryPrefix" not in reader and "EncryptCanaryObjects" not in reader
    attached = {
        r.inputs["policyArn"]
        for r in plans["prod"].of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("rpo-canary-")
    }
    assert attached == {canary.VPC_ACCESS_POLICY_ARN, plans["prod"].outputs["cacheConnectPolicyArn"]}


def test_the_code_is_packaged_reproducibly_with_its_hash(plans: dict[str, StackPlan], tmp_path: Path) -> None:
    body = canary.package_bytes(dependencies=tmp_path / "none")
    assert body == canary.package_bytes(dependencies=tmp_path / "none")
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "rpo_canary/handler.py" in names and not [n for n in names if "__pycache__" in n]
    deps = tmp_path / "deps" / "kafka"
    deps.mkdir(parents=True)
    (deps / "__init__.py").write_text("")
    assert (
        "kafka/__init__.py"
        in zipfile.ZipFile(io.BytesIO(canary.package_bytes(dependencies=tmp_path / "deps"))).namelist()
    )
    path = canary.write_package(body, tmp_path / "out")
    assert path.read_bytes() == body and path.parent.name == hashlib.sha256(body).hexdigest()[:12]
    function = plans["prod"].one("aws:lambda/function:Function")
    assert (
        function.inputs["sourceCodeHash"] == base64.b64encode(hashlib.sha256(canary.package_bytes()).digest()).decode()
    )


def test_a_real_run_stops_without_the_function_s_libraries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    monkeypatch.setattr(canary, "under_mocks", lambda: False)
    with pytest.raises(pulumi.RunError, match=r"pip install -r canary/requirements\.txt"):
        canary.preflight(tmp_path / "missing")
    (tmp_path / "present").mkdir()
    canary.preflight(tmp_path / "present")


def test_alarms_watch_gaps_everywhere_write_failures_in_the_writer_and_the_copy_s_age_in_the_standby(
    plans: dict[str, StackPlan],
) -> None:
    def alarms(stack: str) -> dict[str, float]:
        return {
            r.inputs["name"].removeprefix(f"sp-{stack}-"): r.inputs.get("threshold")
            for r in plans[stack].of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
            if "canary" in r.inputs.get("name", "")
        }

    writer, reader = alarms("prod"), alarms("prod-dr")
    assert {k for k in writer if "sequence-gaps" in k} == {
        f"canary-sequence-gaps-{s}" for s in ("kafka", "cache", "s3")
    }
    assert {k for k in writer if "write-failures" in k} and not [k for k in writer if "replicated-age" in k]
    assert reader["canary-replicated-age-kafka"] == 60 + 10  # stream RPO target + one write interval
    assert reader["canary-replicated-age-s3"] == 15 * 60 + 10
    assert not [k for k in reader if "write-failures" in k]


def test_active_region_follows_dr_active_region(plans: dict[str, StackPlan]) -> None:
    from infra.config.schema import StackConfig

    config = StackConfig.model_validate(plans["prod-dr"].config)
    assert canary.plan_canary(config).writes is False
    moved = config.model_copy(update={"dr": config.dr.model_copy(update={"active_region": "us-west-2"})})
    assert canary.plan_canary(moved).writes is True and canary.plan_canary(moved).source_region == "us-west-2"


def test_the_terraform_export_names_the_zip_as_the_function_s_filename(plans: dict[str, StackPlan]) -> None:
    from infra.export.terraform_plan import terraform_plan

    resources = terraform_plan(plans["prod"])["planned_values"]["root_module"]["resources"]
    [function] = [r["values"] for r in resources if r["type"] == "aws_lambda_function"]
    assert function["filename"].startswith("build/canary/") and function["filename"].endswith("/rpo_canary.zip")
    assert function["environment"][0]["variables"]["CANARY_WRITES"] == "true"
