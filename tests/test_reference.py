"""The generated config and outputs references: current, complete, and never showing mock values."""

from __future__ import annotations

import re

from pydantic.alias_generators import to_camel

from infra.config.schema import StackConfig
from infra.offline.record import StackPlan
from infra.reference import CONFIG_REFERENCE, OUTPUTS_REFERENCE, config_reference, outputs_reference, render_all


def test_the_committed_references_are_a_fresh_render(plans: dict[str, StackPlan]) -> None:
    for path, text in render_all(plans).items():
        assert path.exists(), f"{path.name} missing: run `blueprint docs`"
        assert path.read_text() == text, f"{path.name} is stale: run `blueprint docs` and commit the result"


def test_every_stack_file_key_is_documented_with_its_tier_defaults() -> None:
    docs = {doc.key: doc for doc in config_reference.key_docs()}
    assert "network.azCount" in docs and "kafka.diskFillPercent" in docs
    assert docs["network.azCount"].defaults == {"dev": 2, "staging": 3, "prod": 3}
    assert docs["network.azCount"].allowed == ">= 1, <= 6"
    assert docs["network.natGateways"].allowed == "`single`, `per-az`"
    assert docs["owner"].required and not docs["network.azCount"].required
    assert all(doc.description for doc in docs.values()), "every schema field has a description"
    top_level = {to_camel(name) for name in StackConfig.model_fields} - {"stack", "region"}
    assert top_level <= {key.split(".")[0] for key in docs}


def test_rule_coverage_comes_from_the_rule_modules() -> None:
    docs = {doc.key: doc for doc in config_reference.key_docs()}
    assert docs["network.azCount"].rules == ("foundation", "kafka")
    # Reached through f"kafka.{key}" over a tuple of literal names in rules/kafka.py.
    assert "kafka" in docs["kafka.volumeGib"].rules
    assert "dr" in docs["dr.peerStack"].rules
    assert docs["workload.peakFactor"].rules == ()


def test_every_output_has_a_description_and_every_description_an_output(plans: dict[str, StackPlan]) -> None:
    docs = outputs_reference.output_docs(plans)
    missing = [doc.name for doc in docs if not doc.description]
    assert not missing, f"outputs without a line in infra/reference/outputs.yaml: {missing}"
    orphans = [doc.name for doc in docs if not doc.stacks and not doc.only_when]
    assert not orphans, f"outputs.yaml describes outputs no stack exports: {orphans}"
    conditional = [doc for doc in docs if doc.only_when]
    assert conditional and all(not doc.stacks for doc in conditional)


def test_readers_are_found_and_mock_values_never_shown(plans: dict[str, StackPlan]) -> None:
    docs = {doc.name: doc for doc in outputs_reference.output_docs(plans)}
    assert any(path.startswith("templates/runbooks/") for path in docs["emrClusterId"].readers)
    assert "infra/clientconfig.py" in docs["kafkaBootstrapBrokersIam"].readers
    text = OUTPUTS_REFERENCE.read_text()
    assert docs["vpcId"].shape == "string" and docs["alarmCounts"].shape == "map"
    mock_ids = {str(plan.outputs["vpcId"]) for plan in plans.values()} | {
        str(plan.outputs["emrClusterId"]) for plan in plans.values()
    }
    assert not any(mock in text for mock in mock_ids)
    assert not re.search(r"\b123456789012\b", text + CONFIG_REFERENCE.read_text())
