"""A warm-standby pair cannot drift apart: the standby derives what must match from its primary's
stack file, refuses to set it itself, names a real stack as its peer, and the pair rule refuses what
derivation cannot cover when both stacks are planned together.

Every test works on copies of the stack files (``infra.config.loader.STACKS`` points at them).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, load_stack
from infra.config import loader as config_loader
from infra.config.kafka_sizing import resolve_sizing
from infra.config.parity import INHERITED, get_path
from infra.config.problems import PROJECT
from infra.offline import runtime
from infra.paths import STACKS
from infra.planning.kafka import plan_topics


@pytest.fixture
def stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for path in STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(config_loader, "STACKS", tmp_path)
    return tmp_path


def edit(stacks: Path, stack: str, changes: dict[str, Any], remove: tuple[str, ...] = ()) -> None:
    """Merge `changes` (keys under our namespace, one level of sections) into a stack file copy."""
    path = stacks / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    config = document["config"]
    for key, value in changes.items():
        full = f"{PROJECT}:{key}"
        if isinstance(value, dict):
            config[full] = {**config.get(full, {}), **value}
        else:
            config[full] = value
    for key in remove:
        section, _, field = key.partition(".")
        config[f"{PROJECT}:{section}"].pop(field)
    path.write_text(yaml.safe_dump(document))


def errors_of(stack: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_stack(stack)
    return [problem.format(info.value.stack_file) for problem in info.value.problems]


def test_resizing_prod_resizes_its_standby(stacks: Path) -> None:
    """The issue's example: 48 h retention and a larger cache node in prod's file alone."""
    edit(stacks, "prod", {"workload": {"retentionHours": 48}, "cache": {"nodeType": "cache.r7g.2xlarge"}})
    prod, standby = load_stack("prod")[0], load_stack("prod-dr")[0]
    assert standby.workload.retention_hours == 48 and standby.cache.node_type == "cache.r7g.2xlarge"
    # The storage the retention needs, and the topics with their configs, follow.
    assert resolve_sizing(standby).to_output() == resolve_sizing(prod).to_output()
    assert plan_topics(standby.workload, standby.network.az_count) == plan_topics(prod.workload, prod.network.az_count)


def test_every_inherited_key_equals_the_primarys(stacks: Path) -> None:
    prod = load_stack("prod")[0].model_dump(mode="json", by_alias=True)
    standby = load_stack("prod-dr")[0].model_dump(mode="json", by_alias=True)
    for key in INHERITED:
        assert get_path(standby, key) == get_path(prod, key), key
    # What may differ still does: region, CIDR, role, scaled-down compute.
    assert standby["region"] != prod["region"] and standby["network"]["cidr"] != prod["network"]["cidr"]
    assert standby["spark"]["coreCapacity"] < prod["spark"]["coreCapacity"]


@pytest.mark.parametrize(
    ("key", "changes"),
    [
        ("workload.retentionHours", {"workload": {"retentionHours": 48}}),
        ("cache.nodeType", {"cache": {"nodeType": "cache.r7g.2xlarge"}}),
        ("kafka.kafkaVersion", {"kafka": {"kafkaVersion": "3.8.x"}}),
        ("storage.lakeIaAfterDays", {"storage": {"lakeIaAfterDays": 90}}),
    ],
)
def test_the_standby_may_not_set_what_comes_from_its_primary(stacks: Path, key: str, changes: dict[str, Any]) -> None:
    edit(stacks, "prod-dr", changes)
    [message] = errors_of("prod-dr")
    assert message.startswith(f"stacks/Pulumi.prod-dr.yaml: {PROJECT}:{key} = ")
    assert "comes from the primary" in message and "stacks/Pulumi.prod.yaml" in message


def test_a_peer_stack_typo_is_refused_naming_the_key_and_the_stacks(stacks: Path) -> None:
    edit(stacks, "prod-dr", {"dr": {"peerStack": "organization/streaming-platform/prd"}})
    [message] = errors_of("prod-dr")
    assert f"{PROJECT}:dr.peerStack = 'organization/streaming-platform/prd'" in message
    assert "names no stack file of this project" in message and "dev, prod, staging, prod-dr" in message


def test_a_primary_naming_no_stack_file_is_refused_too(stacks: Path) -> None:
    """The primary derives the names of the standby's buckets and vault from dr.peerStack."""
    edit(stacks, "prod", {"dr": {"peerStack": "organization/streaming-platform/prod-drr"}})
    [message] = errors_of("prod")
    assert "dr.peerStack" in message and "stacks/Pulumi.prod-drr.yaml" in message


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        ("organization/other-project/prod", "names project 'other-project'"),
        ("organization/streaming-platform/prod-dr", "names this stack"),
        ("prod", "<org>/<project>/<stack>"),
    ],
)
def test_a_peer_stack_must_be_another_stack_of_this_project(stacks: Path, peer: str, expected: str) -> None:
    edit(stacks, "prod-dr", {"dr": {"peerStack": peer}})
    [message] = errors_of("prod-dr")
    assert "dr.peerStack" in message and expected in message


def test_a_standby_names_a_primary(stacks: Path) -> None:
    shutil.copy(stacks / "Pulumi.prod-dr.yaml", stacks / "Pulumi.prod-dr2.yaml")  # a valid standby of prod
    edit(stacks, "prod-dr", {"dr": {"peerStack": "organization/streaming-platform/prod-dr2"}})
    [message] = errors_of("prod-dr")
    assert "dr.peerStack" in message and "names a secondary (stacks/Pulumi.prod-dr2.yaml)" in message


def test_the_standby_has_its_primarys_tier(stacks: Path) -> None:
    edit(stacks, "prod-dr", {"tier": "staging"})
    [message] = errors_of("prod-dr")
    assert f"{PROJECT}:tier = 'staging'" in message and "primary's tier 'prod'" in message


@pytest.mark.parametrize(
    ("stack", "changes", "expected"),
    [
        ("prod", {"dr": {"peerCidr": "10.41.0.0/16"}}, "network.cidr = '10.40.0.0/16': must equal dr.peerCidr"),
        ("prod-dr", {"dr": {"peerCidr": "10.31.0.0/16"}}, "dr.peerCidr = '10.31.0.0/16': must equal network.cidr"),
        ("prod", {"dr": {"region": "us-east-2"}}, "aws:region = 'us-west-2': must equal dr.region"),
        ("prod", {"dr": {"peerStack": "organization/streaming-platform/staging"}}, "name each other"),
    ],
)
def test_planning_the_pair_refuses_what_derivation_cannot_cover(
    stacks: Path, stack: str, changes: dict[str, Any], expected: str
) -> None:
    edit(stacks, stack, changes)
    with pytest.raises(ConfigError) as info:
        runtime.plan_stacks(["prod", "prod-dr"])
    message = str(info.value)
    assert "stacks/Pulumi.prod-dr.yaml" in message and "stacks/Pulumi.prod.yaml" in message
    assert expected in message


def test_the_stack_files_as_committed_make_a_consistent_pair() -> None:
    from infra.config.parity import check_pair

    prod, standby = load_stack("prod")[0], load_stack("prod-dr")[0]
    assert check_pair(prod, "stacks/Pulumi.prod.yaml", standby, "stacks/Pulumi.prod-dr.yaml") == []


def test_the_config_reference_marks_what_a_standby_inherits() -> None:
    from infra.reference.config_reference import key_docs

    marked = {doc.key for doc in key_docs() if doc.inherited}
    assert {"workload.retentionHours", "workload.topics", "cache.nodeType", "storage.lakeIaAfterDays"} <= marked
    assert {"kafka.diskFillPercent", "kafka.storageAutoscaling.maxVolumeGib"} <= marked
    assert not {"network.cidr", "spark.coreCapacity", "ingest.maxTasks", "dr.role", "cache.replicasPerShard"} & marked
