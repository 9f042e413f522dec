"""`blueprint export --format terraform-plan` and the checkov exceptions that judge its findings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.cli import export as export_command
from infra.cli import main
from infra.export import checkov_findings
from infra.export.checkov_findings import (
    EXCEPTIONS_FILE,
    Accepted,
    ExceptionsError,
    Finding,
    findings_from_report,
    judge,
    load_exceptions,
)
from infra.export.terraform_plan import args_class, terraform_names, terraform_plan
from infra.offline.record import StackPlan

SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@pytest.fixture(scope="module")
def exports(plans: dict[str, StackPlan]) -> dict[str, dict[str, Any]]:
    return {stack: terraform_plan(plan) for stack, plan in plans.items()}


def _resources(export: dict[str, Any], tf_type: str) -> list[dict[str, Any]]:
    return [r for r in export["planned_values"]["root_module"]["resources"] if r["type"] == tf_type]


def _one(export: dict[str, Any], address: str, section: str = "planned_values") -> dict[str, Any]:
    [found] = [r for r in export[section]["root_module"]["resources"] if r["address"] == address]
    return found


def test_every_registered_type_has_a_terraform_type_and_an_input_class(plans: dict[str, StackPlan]) -> None:
    registered = {r.type for plan in plans.values() for r in plan.custom_resources() if r.type.startswith("aws:")}
    table = terraform_names().types
    assert registered <= table.keys(), f"unmapped: {sorted(registered - table.keys())}"
    for pulumi_type in table:
        assert args_class(pulumi_type).__name__.endswith("Args")
        assert SNAKE.fullmatch(table[pulumi_type]) and table[pulumi_type].startswith("aws_")


def test_export_is_a_terraform_plan_with_one_entry_per_resource(
    plans: dict[str, StackPlan], exports: dict[str, dict[str, Any]]
) -> None:
    for stack, export in exports.items():
        assert export["format_version"] and export["terraform_version"]
        planned = export["planned_values"]["root_module"]["resources"]
        configured = export["configuration"]["root_module"]["resources"]
        aws = [r for r in plans[stack].custom_resources() if r.type.startswith("aws:")]
        assert len(planned) == len(configured) == len(aws)
        addresses = [r["address"] for r in planned]
        assert len(set(addresses)) == len(addresses)
        assert all(r["address"] == f"{r['type']}.{r['name']}" and r["mode"] == "managed" for r in planned)


def _keys(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every attribute name under value (map attributes such as tags excluded: their keys are data)."""
    found = []
    if isinstance(value, list):
        for item in value:
            found += _keys(item, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append((path, key))
            if key not in ("tags", "dimensions", "parameters", "variables"):
                found += _keys(item, f"{path}.{key}")
    return found


def test_attribute_names_are_snake_case_and_blocks_are_lists(exports: dict[str, dict[str, Any]]) -> None:
    for resource in exports["prod"]["planned_values"]["root_module"]["resources"]:
        bad = [f"{path}.{key}" for path, key in _keys(resource["values"]) if not SNAKE.fullmatch(key)]
        assert not bad, f"{resource['address']}: {bad}"
    [cluster] = _resources(exports["prod"], "aws_msk_cluster")
    info = cluster["values"]["broker_node_group_info"]
    assert isinstance(info, list) and len(info) == 1 and info[0]["client_subnets"]
    assert cluster["values"]["tags"]["Name"]  # map keys are kept as they are


def test_pluralized_block_lists_take_the_terraform_name(exports: dict[str, dict[str, Any]]) -> None:
    [acl] = _resources(exports["prod"], "aws_wafv2_web_acl")
    assert "rules" not in acl["values"]
    names = [
        r["statement"][0]["managed_rule_group_statement"][0]["name"]
        for r in acl["values"]["rule"]
        if "managed_rule_group_statement" in r["statement"][0]
    ]
    assert "AWSManagedRulesKnownBadInputsRuleSet" in names
    [replicator] = _resources(exports["prod-dr"], "aws_msk_replicator")
    [info] = replicator["values"]["replication_info_list"]
    assert info["topic_replication"][0]["topics_to_replicate"]


def _repeated_blocks(value: Any) -> set[str]:
    """Names of block lists holding several blocks (a single nested block is a list of one)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _repeated_blocks(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list) and len(item) > 1 and all(isinstance(i, dict) for i in item):
                found.add(key)
            found |= _repeated_blocks(item)
    return found


def test_repeated_blocks_the_program_sets_are_named_in_the_table(exports: dict[str, dict[str, Any]]) -> None:
    """A new list of blocks needs its Terraform name decided (Pulumi pluralizes it)."""
    block_lists = terraform_names().block_lists
    for export in exports.values():
        for resource in export["planned_values"]["root_module"]["resources"]:
            known = set(block_lists.get(resource["type"], {}).values())
            assert _repeated_blocks(resource["values"]) <= known, resource["address"]


def test_properties_that_take_another_resources_output_are_references(exports: dict[str, dict[str, Any]]) -> None:
    export = exports["prod"]
    expressions = _one(export, "aws_msk_cluster.kafka-cluster", "configuration")["expressions"]
    assert expressions["encryption_info"]["references"] == [
        "aws_kms_key.stack-key-key.arn",
        "aws_kms_key.stack-key-key",
    ]
    logging = _one(export, "aws_s3_bucket_logging.storage-lake-access-logging", "configuration")["expressions"]
    assert logging["bucket"]["references"] == ["aws_s3_bucket.storage-lake.id", "aws_s3_bucket.storage-lake"]
    assert logging["target_bucket"]["references"][-1] == "aws_s3_bucket.storage-access-logs"
    waf = _one(export, "aws_wafv2_web_acl_logging_configuration.edge-waf-logging", "configuration")["expressions"]
    assert waf["resource_arn"]["references"][0] == "aws_wafv2_web_acl.edge-waf.arn"


# --- exceptions ------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exceptions.yaml"
    path.write_text(text)
    return path


REASON = "a design reason long enough to read"


def test_unlisted_findings_and_stale_exceptions_fail() -> None:
    accepted = [
        Accepted("CKV_AWS_18", ("aws_s3_bucket.storage-*",), ("dev", "prod"), REASON),
        Accepted("CKV_AWS_338", ("aws_cloudwatch_log_group.gone",), ("dev",), REASON),
    ]
    findings = [
        Finding("dev", "CKV_AWS_18", "aws_s3_bucket.storage-lake"),
        Finding("prod", "CKV_AWS_18", "aws_s3_bucket.storage-lake"),
        Finding("prod", "CKV_AWS_19", "aws_s3_bucket.storage-lake"),  # another check: not covered
        Finding("staging", "CKV_AWS_18", "aws_s3_bucket.storage-lake"),  # another stack: not covered
    ]
    unlisted, stale = judge(findings, accepted, ["dev", "staging", "prod"])
    assert unlisted == findings[2:]
    assert stale == ["CKV_AWS_338 aws_cloudwatch_log_group.gone in dev"]
    # an exception listing a stack where it matches nothing is stale there
    unlisted, stale = judge(findings[:1], accepted[:1], ["dev", "prod"])
    assert unlisted == [] and stale == ["CKV_AWS_18 aws_s3_bucket.storage-* in prod"]


def test_exceptions_file_needs_check_resources_known_stacks_and_a_reason(tmp_path: Path) -> None:
    good = _write(
        tmp_path, f"exceptions:\n  - check: CKV2_AWS_62\n    resources: [aws_s3_bucket.*]\n    reason: {REASON}\n"
    )
    [entry] = load_exceptions(good, ["dev", "prod"])
    assert entry.stacks == ("dev", "prod")  # all stacks by default
    bad = _write(tmp_path, "exceptions:\n  - check: S3\n    resources: [bucket]\n    stacks: [qa]\n    reason: no\n")
    with pytest.raises(ExceptionsError) as error:
        load_exceptions(bad, ["dev"])
    message = str(error.value)
    assert "not a checkov check id" in message and "Terraform addresses" in message
    assert "design reason" in message and "unknown stack(s) qa" in message


def test_committed_exceptions_file_loads() -> None:
    assert load_exceptions(EXCEPTIONS_FILE, ["dev", "staging", "prod", "prod-dr"])


def test_findings_come_from_checkovs_failed_checks_by_file() -> None:
    report = {
        "results": {
            "failed_checks": [
                {"check_id": "CKV_AWS_18", "resource": "aws_s3_bucket.a", "file_path": "/prod-dr.tfplan.json"},
                {"check_id": "CKV_AWS_18", "resource": "aws_s3_bucket.a", "file_path": "/prod-dr.tfplan.json"},
            ]
        }
    }
    assert findings_from_report(report) == [Finding("prod-dr", "CKV_AWS_18", "aws_s3_bucket.a")]
    assert findings_from_report([report, {"results": {}}]) == [Finding("prod-dr", "CKV_AWS_18", "aws_s3_bucket.a")]


# --- command line ----------------------------------------------------------------------------------


def test_export_command_writes_one_file_per_stack(
    plans: dict[str, StackPlan], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_command, "plan_or_report", lambda stacks: {s: plans[s] for s in stacks})
    assert main(["export", "dev", "prod", "-o", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "prod.tfplan.json").read_text())
    assert written["planned_values"] == terraform_plan(plans["prod"])["planned_values"]
    assert (tmp_path / "dev.tfplan.json").exists()
    assert main(["export", "dev", "-o", str(tmp_path / "one.json")]) == 0
    assert json.loads((tmp_path / "one.json").read_text())["format_version"]


def test_export_command_refuses_unknown_stacks_and_several_stacks_without_a_directory() -> None:
    assert main(["export", "nope"]) == 2
    assert main(["export", "dev", "prod"]) == 2


def test_findings_command_fails_on_an_unlisted_finding_and_passes_when_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = {"check_id": "CKV_AWS_18", "resource": "aws_s3_bucket.storage-lake", "file_path": "/dev.tfplan.json"}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"results": {"failed_checks": [failed]}}))
    empty = _write(tmp_path, "exceptions: []\n")
    assert checkov_findings.main([str(report), "--exceptions", str(empty)]) == 1
    assert "unlisted finding: dev: CKV_AWS_18 aws_s3_bucket.storage-lake" in capsys.readouterr().out
    listed = _write(
        tmp_path,
        f"exceptions:\n  - check: CKV_AWS_18\n    resources: [aws_s3_bucket.storage-*]\n    stacks: [dev]\n"
        f"    reason: {REASON}\n",
    )
    assert checkov_findings.main([str(report), "--exceptions", str(listed)]) == 0
