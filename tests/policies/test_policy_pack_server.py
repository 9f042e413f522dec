"""The pack as `pulumi preview --policy-pack policies` runs it, minus the CLI.

The Pulumi CLI starts a Python pack with ``python -u -m pulumi.policy <engine> <pack dir>``
(pulumi/pulumi sdk/python/dist/pulumi-analyzer-policy-python), the stack's identity and
config in the environment; the pack prints its gRPC port and serves the Analyzer API.
These tests do the same and talk to it over gRPC like the engine does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from streaming_policies import ALL_RULES, enforcement_for

from tests.policies.policy_fixtures import DELETE, msk_cluster_props, patched, prod_stack

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
MSK = "aws:msk/cluster:Cluster"
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
}


@dataclass
class RunningPack:
    process: subprocess.Popen[bytes]
    stub: analyzer_pb2_grpc.AnalyzerStub


def start_pack(stack: str, config: dict[str, Any]) -> RunningPack:
    env = {
        **os.environ,
        "PULUMI_PROJECT": "streaming-platform",
        "PULUMI_STACK": stack,
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": json.dumps(config),
    }
    env.pop("STREAMING_POLICY_TIER", None)
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=PACK_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    port_line = process.stdout.readline().decode().strip()
    if not port_line.isdigit():
        process.kill()
        _, stderr = process.communicate(timeout=10)
        pytest.fail(f"policy pack did not start: {port_line!r} {stderr.decode()[-2000:]}")
    channel = grpc.insecure_channel(f"127.0.0.1:{port_line}")
    return RunningPack(process, analyzer_pb2_grpc.AnalyzerStub(channel))


@pytest.fixture(scope="module")
def prod_pack() -> Iterator[RunningPack]:
    pack = start_pack("prod", {"streaming-platform:tier": "prod"})
    yield pack
    pack.process.kill()
    pack.process.communicate(timeout=10)


@pytest.fixture(scope="module")
def dev_pack() -> Iterator[RunningPack]:
    pack = start_pack("dev", {"streaming-platform:tier": "dev"})
    yield pack
    pack.process.kill()
    pack.process.communicate(timeout=10)


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def analyze(pack: RunningPack, resource_type: str, props: dict[str, Any]) -> list[Any]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, properties=struct(props), urn=f"urn:pulumi:s::p::{resource_type}::r", name="r"
    )
    return list(pack.stub.Analyze(request, timeout=30).diagnostics)


def test_pack_announces_every_rule_with_the_prod_enforcement(prod_pack: RunningPack) -> None:
    info = prod_pack.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "streaming-platform"
    levels = {policy.name: LEVELS[policy.enforcementLevel] for policy in info.policies}
    assert levels == {rule.name: enforcement_for(rule, "prod") for rule in ALL_RULES}
    assert "tier prod from streaming-platform:tier" in info.description


def test_violation_is_mandatory_in_prod(prod_pack: RunningPack) -> None:
    props = patched(msk_cluster_props(), {"encryptionInfo.encryptionAtRestKmsKeyArn": DELETE})
    diagnostics = analyze(prod_pack, MSK, props)
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("msk-encryption-at-rest-cmk", analyzer_pb2.MANDATORY)
    ]
    assert "encryptionAtRestKmsKeyArn is not set" in diagnostics[0].message


def test_same_violation_is_advisory_in_dev(dev_pack: RunningPack) -> None:
    props = patched(msk_cluster_props(), {"encryptionInfo.encryptionAtRestKmsKeyArn": DELETE})
    diagnostics = analyze(dev_pack, MSK, props)
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("msk-encryption-at-rest-cmk", analyzer_pb2.ADVISORY)
    ]


def test_unknown_values_pass_during_preview(prod_pack: RunningPack) -> None:
    props = patched(
        msk_cluster_props(), {"encryptionInfo.encryptionAtRestKmsKeyArn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    )
    assert analyze(prod_pack, MSK, props) == []


def test_stack_analysis_reports_the_resource_at_fault(prod_pack: RunningPack) -> None:
    fixture = prod_stack()
    records = fixture.without("backup-vault-lock")
    providers = {r["urn"]: r for r in records if r["type"].startswith("pulumi:providers:")}
    resources = []
    for record in records:
        provider = providers.get((record["provider"] or "").rsplit("::", 1)[0])
        resources.append(
            analyzer_pb2.AnalyzerResource(
                type=record["type"],
                urn=record["urn"],
                name=record["name"],
                properties=struct({**record["outputs"], **record["inputs"]}),
                provider=analyzer_pb2.AnalyzerProviderResource(
                    type=provider["type"],
                    urn=provider["urn"],
                    name=provider["name"],
                    properties=struct(provider["inputs"]),
                )
                if provider
                else None,
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                    for key, urns in record["property_dependencies"].items()
                    if urns
                },
            )
        )
    response = prod_pack.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources), timeout=60)
    assert [(d.policyName, d.urn, d.enforcementLevel) for d in response.diagnostics] == [
        ("backup-vault-lock", fixture.by_name("backup-vault")["urn"], analyzer_pb2.MANDATORY)
    ]
