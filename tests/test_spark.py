"""The processing tier: EMR cluster, fleets and scaling, security, IAM scoping, the job's step and artifacts."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jinja2
import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from infra.catalog import artifacts
from infra.catalog.artifacts import (
    Catalog,
    Jar,
    Wheel,
    fetch_all,
    load_catalog,
    missing_or_modified,
    published_checksum,
)
from infra.catalog.emr_releases import emr_releases
from infra.cli import artifacts as artifacts_cli
from infra.components import spark, spark_package
from infra.components.storage import EMR_LOG_PREFIX
from infra.config import load_stack
from infra.config.schema import SparkConfig
from infra.offline.record import PlannedResource, StackPlan
from infra.paths import JOB_SOURCE
from infra.planning import emr
from tests.helpers import config_errors

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "jobs"))
from streaming_job.config import parse_args  # noqa: E402  (the job's own argument parser)

CLUSTER = "aws:emr/cluster:Cluster"
FLEET = "aws:emr/instanceFleet:InstanceFleet"
SCALING = "aws:emr/managedScalingPolicy:ManagedScalingPolicy"
SECURITY_CONFIGURATION = "aws:emr/securityConfiguration:SecurityConfiguration"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
V2_TAG = ("for-use-with-amazon-emr-managed-policies", "true")


def _named(plan: StackPlan, type_token: str, name: str) -> PlannedResource:
    (found,) = [r for r in plan.of_type(type_token) if r.name == name]
    return found


def _policy(plan: StackPlan, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_named(plan, ROLE_POLICY, name).inputs["policy"])
    return document


def _statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def _resources(statement: dict[str, Any]) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def _spark_config(plan: StackPlan) -> SparkConfig:
    return SparkConfig.model_validate(plan.config["spark"])


# --- the cluster, per stack --------------------------------------------------------------------


def test_cluster_runs_the_configured_release_with_spark_and_hadoop_only(stack_plan: StackPlan) -> None:
    cluster = stack_plan.one(CLUSTER)
    cfg = _spark_config(stack_plan)
    assert cluster.inputs["releaseLabel"] == cfg.release_label
    assert cfg.release_label in emr_releases()
    assert sorted(cluster.inputs["applications"]) == ["Hadoop", "Spark"]
    assert cluster.inputs["name"] == stack_plan.outputs["emrClusterName"] == f"sp-{stack_plan.stack}-spark"
    assert cluster.parent == stack_plan.one("streaming:spark:Spark").urn


def test_fleets_list_every_private_app_subnet_and_no_public_one(stack_plan: StackPlan) -> None:
    attributes = stack_plan.one(CLUSTER).inputs["ec2Attributes"]
    private_app = stack_plan.outputs["privateAppSubnetIds"]
    assert attributes["subnetIds"] == private_app
    assert len(private_app) == stack_plan.config["network"]["az_count"]
    assert not set(attributes["subnetIds"]) & set(stack_plan.outputs["publicSubnetIds"])
    assert "subnetId" not in attributes  # a single subnet would pin the cluster to one AZ


def test_private_cluster_uses_its_own_emr_managed_groups_plus_processing(stack_plan: StackPlan) -> None:
    attributes = stack_plan.one(CLUSTER).inputs["ec2Attributes"]
    groups = stack_plan.outputs["emrSecurityGroupIds"]
    assert attributes["emrManagedMasterSecurityGroup"] == groups["primary"]
    assert attributes["emrManagedSlaveSecurityGroup"] == groups["worker"]
    assert attributes["serviceAccessSecurityGroup"] == groups["service-access"]
    processing = stack_plan.outputs["securityGroupIds"]["processing"]
    assert attributes["additionalMasterSecurityGroups"] == processing
    assert attributes["additionalSlaveSecurityGroups"] == processing
    for name in ("spark-primary-sg", "spark-worker-sg", "spark-service-access-sg"):
        group = _named(stack_plan, "aws:ec2/securityGroup:SecurityGroup", name)
        assert group.inputs["revokeRulesOnDelete"] is True
        assert set(group.ignore_changes) == {"ingress", "egress"}  # EMR owns these rules
        assert V2_TAG in group.inputs["tags"].items()
        assert group.inputs["vpcId"] == stack_plan.outputs["vpcId"]
    # MSK and the cache admit the processing group (the Kafka SG is reached only through it).
    kafka_sg = stack_plan.outputs["securityGroupIds"]["kafka"]
    admitted = [
        r
        for r in stack_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("securityGroupId") == kafka_sg and r.inputs.get("referencedSecurityGroupId") == processing
    ]
    assert admitted


def test_primary_core_and_task_fleets(stack_plan: StackPlan) -> None:
    cfg = _spark_config(stack_plan)
    cluster = stack_plan.one(CLUSTER).inputs
    primary, core = cluster["masterInstanceFleet"], cluster["coreInstanceFleet"]
    assert primary["targetOnDemandCapacity"] == cfg.primary_count
    assert [c["instanceType"] for c in primary["instanceTypeConfigs"]] == [cfg.primary_instance_type]
    assert core["targetOnDemandCapacity"] == cfg.core_capacity and core["targetSpotCapacity"] == 0
    assert [c["instanceType"] for c in core["instanceTypeConfigs"]] == list(cfg.core_instance_types)
    assert core["launchSpecifications"] == {"onDemandSpecifications": [{"allocationStrategy": "lowest-price"}]}
    task = stack_plan.one(FLEET)
    assert task.inputs["clusterId"] == stack_plan.outputs["emrClusterId"]
    assert task.parent == stack_plan.one(CLUSTER).urn
    assert [c["instanceType"] for c in task.inputs["instanceTypeConfigs"]] == list(cfg.task_instance_types)
    assert all(c["bidPriceAsPercentageOfOnDemandPrice"] == 100 for c in task.inputs["instanceTypeConfigs"])
    (spot,) = task.inputs["launchSpecifications"]["spotSpecifications"]
    assert spot["allocationStrategy"] == "price-capacity-optimized"
    assert spot["timeoutAction"] == "SWITCH_TO_ON_DEMAND"
    for fleet in (core, task.inputs):
        sizes = {ebs["size"] for c in fleet["instanceTypeConfigs"] for ebs in c["ebsConfigs"]}
        assert sizes == {cfg.ebs_volume_gib}


def test_managed_scaling_limits_and_the_program_does_not_fight_the_scaler(stack_plan: StackPlan) -> None:
    cfg = _spark_config(stack_plan)
    scaling = stack_plan.one(SCALING)
    (limits,) = scaling.inputs["computeLimits"]
    assert limits == {
        "unitType": "InstanceFleetUnits",
        "minimumCapacityUnits": cfg.core_capacity,
        "maximumCapacityUnits": cfg.managed_scaling_max,
        "maximumOndemandCapacityUnits": cfg.core_capacity + emr.task_on_demand_units(cfg),
        "maximumCoreCapacityUnits": cfg.core_capacity,
    }
    # A spot shortage must not block task scale-out: some task units may fall back to on-demand.
    if cfg.task_max_capacity and cfg.task_on_demand_percent:
        assert limits["maximumOndemandCapacityUnits"] > cfg.core_capacity
    assert scaling.inputs["clusterId"] == stack_plan.outputs["emrClusterId"]
    assert stack_plan.one(FLEET).urn in scaling.dependencies
    cluster = stack_plan.one(CLUSTER)
    assert {"coreInstanceFleet.targetOnDemandCapacity", "coreInstanceFleet.targetSpotCapacity"} <= set(
        cluster.ignore_changes
    )
    assert set(stack_plan.one(FLEET).ignore_changes) == {"targetOnDemandCapacity", "targetSpotCapacity"}
    # The output operators read is the policy the cluster got, not a second copy of the numbers.
    assert stack_plan.outputs["emrManagedScaling"] == {
        "unitType": limits["unitType"],
        "minimumUnits": limits["minimumCapacityUnits"],
        "maximumUnits": limits["maximumCapacityUnits"],
        "maximumOnDemandUnits": limits["maximumOndemandCapacityUnits"],
        "maximumCoreUnits": limits["maximumCoreCapacityUnits"],
    }


def test_security_configuration_encrypts_with_the_stack_key(stack_plan: StackPlan) -> None:
    cfg = _spark_config(stack_plan)
    resource = stack_plan.one(SECURITY_CONFIGURATION)
    assert stack_plan.one(CLUSTER).inputs["securityConfiguration"] == resource.inputs["name"]
    document = json.loads(resource.inputs["configuration"])
    key = stack_plan.outputs["kmsKeyArn"]
    at_rest = document["EncryptionConfiguration"]["AtRestEncryptionConfiguration"]
    assert at_rest["S3EncryptionConfiguration"] == {"EncryptionMode": "SSE-KMS", "AwsKmsKey": key}
    assert at_rest["LocalDiskEncryptionConfiguration"] == {
        "EncryptionKeyProviderType": "AwsKms",
        "AwsKmsKey": key,
        "EnableEbsEncryption": True,
    }
    assert document["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] == 2
    encryption = document["EncryptionConfiguration"]
    assert encryption["EnableInTransitEncryption"] is cfg.in_transit_encryption
    if cfg.in_transit_encryption:
        artifacts_bucket = stack_plan.outputs["artifactsBucket"]["name"]
        expected = f"s3://{artifacts_bucket}/{spark_package.TLS_CERTIFICATES_KEY}"
        assert encryption["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"] == {
            "CertificateProviderType": "PEM",
            "S3Object": expected,
        }
        # The certificates come from an operator, never from the program.
        assert spark_package.TLS_CERTIFICATES_KEY not in {o.inputs["key"] for o in stack_plan.of_type(OBJECT)}
    else:
        assert "InTransitEncryptionConfiguration" not in encryption
    # The name follows the content, so a change creates a new configuration before the old one goes.
    digest = hashlib.sha256(resource.inputs["configuration"].encode()).hexdigest()[:10]
    assert resource.inputs["name"] == f"sp-{stack_plan.stack}-emr-{digest}"


def test_logs_bootstrap_and_configurations(stack_plan: StackPlan) -> None:
    cluster = stack_plan.one(CLUSTER).inputs
    logs = stack_plan.outputs["logsBucket"]["name"]
    assert cluster["logUri"] == stack_plan.outputs["emrLogUri"] == f"s3://{logs}/{EMR_LOG_PREFIX}/"
    assert cluster["logEncryptionKmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    (action,) = cluster["bootstrapActions"]
    bucket = stack_plan.outputs["artifactsBucket"]["name"]
    uploaded = {o.inputs["key"] for o in stack_plan.of_type(OBJECT) if o.inputs["bucket"] == bucket}
    assert action["path"].removeprefix(f"s3://{bucket}/") in uploaded
    configurations = {c["Classification"]: c for c in json.loads(cluster["configurationsJson"])}
    assert set(configurations) == {"spark-defaults", "spark-env", "yarn-site"}
    defaults = configurations["spark-defaults"]["Properties"]
    assert defaults["spark.executorEnv.PYTHONPATH"] == defaults["spark.yarn.appMasterEnv.PYTHONPATH"] == emr.SITE_DIR
    yarn = configurations["yarn-site"]["Properties"]
    assert yarn["yarn.node-labels.am.default-node-label-expression"] == "CORE"  # the driver never lands on spot
    assert yarn["yarn.resourcemanager.am.max-attempts"] == defaults["spark.yarn.maxAppAttempts"]


def test_tier_behaviour_of_the_cluster(stack_plan: StackPlan) -> None:
    cfg, tier = _spark_config(stack_plan), stack_plan.config["tier"]
    resource = stack_plan.one(CLUSTER)
    cluster = resource.inputs
    assert cluster["terminationProtection"] is (tier == "prod")
    assert resource.protect is (tier == "prod")
    assert cluster["unhealthyNodeReplacement"] is (tier != "dev")
    if cfg.idle_timeout_minutes is not None:
        assert cluster["autoTerminationPolicy"] == {"idleTimeout": cfg.idle_timeout_minutes * 60}
    else:
        assert "autoTerminationPolicy" not in cluster
    assert cluster["keepJobFlowAliveWhenNoSteps"] is True
    assert V2_TAG in cluster["tags"].items()


def test_tier_differences(plans: dict[str, StackPlan]) -> None:
    def cluster(stack: str) -> dict[str, Any]:
        return plans[stack].one(CLUSTER).inputs

    assert cluster("prod")["masterInstanceFleet"]["targetOnDemandCapacity"] == 3
    assert cluster("dev")["masterInstanceFleet"]["targetOnDemandCapacity"] == 1
    assert "autoTerminationPolicy" in cluster("dev") and "autoTerminationPolicy" not in cluster("prod")
    assert plans["dev"].outputs["emrInTransitEncryption"] is False
    assert plans["prod"].outputs["emrInTransitEncryption"] is True
    scaling = {s: plans[s].outputs["emrManagedScaling"]["maximumUnits"] for s in ("dev", "staging", "prod")}
    assert scaling["dev"] < scaling["staging"] < scaling["prod"]


# --- IAM ----------------------------------------------------------------------------------------


def test_instance_role_is_scoped_to_this_stack(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    statements = _statements(_policy(stack_plan, "spark-instance-policy"))
    every = [r for s in statements.values() for r in _resources(s)]
    assert "*" not in every
    own = {outputs[f"{role}Bucket"]["arn"] for role in ("artifacts", "checkpoints", "lake", "logs")}
    region = stack_plan.region
    emr_owned = {
        f"arn:aws:s3:::{b.format(region=region)}/*" for b in (*spark.EMR_READ_BUCKETS, *spark.EMR_WRITE_BUCKETS)
    }
    for resource in every:
        if resource.startswith("arn:aws:s3:::"):
            assert resource in emr_owned or any(resource == arn or resource.startswith(f"{arn}/") for arn in own), (
                resource
            )
    assert outputs["lbLogsBucket"]["arn"] not in {r.split("/")[0] for r in every}
    assert _resources(statements["WriteClusterLogs"]) == [f"{outputs['logsBucket']['arn']}/{EMR_LOG_PREFIX}/*"]
    assert _resources(statements["UseTheStackKey"]) == [outputs["kmsKeyArn"]]
    assert _resources(statements["ConnectToTheCluster"]) == [outputs["kafkaClusterArn"]]
    (topic,) = _resources(statements["ReadTheIngestTopic"])
    assert topic.startswith(outputs["kafkaClusterArn"].replace(":cluster/", ":topic/")) and topic.endswith("/events")
    (group,) = _resources(statements["UseTheJobsConsumerGroups"])
    assert group.endswith(f"/sp-{stack_plan.stack}-streaming-job*")
    assert ":group/" in group
    assert sorted(_resources(statements["ConnectToTheCache"])) == sorted(
        [outputs["cacheReplicationGroupArn"], outputs["cacheIamUserArn"]]
    )
    account = outputs["accountId"]
    assert _resources(statements["DescribeOwnCluster"]) == [f"arn:aws:elasticmapreduce:{region}:{account}:cluster/*"]
    if outputs["emrInTransitEncryption"]:
        certificates = outputs["emrTlsCertificatesUri"].removeprefix("s3://")
        assert _resources(statements["ReadInTransitCertificates"]) == [f"arn:aws:s3:::{certificates}"]
    else:
        assert "ReadInTransitCertificates" not in statements


def test_instance_profile_and_trust(stack_plan: StackPlan) -> None:
    role = _named(stack_plan, "aws:iam/role:Role", "spark-instance-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    profile = _named(stack_plan, "aws:iam/instanceProfile:InstanceProfile", "spark-instance-profile")
    assert profile.inputs["role"] == role.inputs["name"]
    assert (
        stack_plan.one(CLUSTER).inputs["ec2Attributes"]["instanceProfile"]
        == stack_plan.outputs["emrInstanceProfileArn"]
    )


def test_service_role_uses_the_v2_policy_and_passes_only_our_instance_role(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    role = _named(stack_plan, "aws:iam/role:Role", "spark-service-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["elasticmapreduce.amazonaws.com"]}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": outputs["accountId"]}
    attachment = _named(stack_plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "spark-service-managed")
    assert attachment.inputs == {"role": role.inputs["name"], "policyArn": spark.SERVICE_POLICY_ARN}
    statements = _statements(_policy(stack_plan, "spark-service-policy"))
    assert _resources(statements["PassTheInstanceRoleToEc2"]) == [outputs["emrInstanceRoleArn"]]
    assert statements["PassTheInstanceRoleToEc2"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}
    }
    assert _resources(statements["EncryptEbsWithTheStackKey"]) == [outputs["kmsKeyArn"]]
    assert statements["GrantEbsTheStackKey"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert stack_plan.one(CLUSTER).inputs["serviceRole"] == outputs["emrServiceRoleArn"]


def test_cluster_waits_for_its_permissions_and_artifacts(stack_plan: StackPlan) -> None:
    cluster = stack_plan.one(CLUSTER)
    needed = {r.urn for r in stack_plan.of_type(OBJECT)}
    needed |= {_named(stack_plan, ROLE_POLICY, n).urn for n in ("spark-instance-policy", "spark-service-policy")}
    needed.add(_named(stack_plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "spark-service-managed").urn)
    assert needed <= set(cluster.dependencies)


# --- the job ------------------------------------------------------------------------------------


def test_artifacts_are_uploaded_to_the_artifacts_bucket(stack_plan: StackPlan) -> None:
    catalog = load_catalog()
    bucket = stack_plan.outputs["artifactsBucket"]["name"]
    objects = {o.inputs["key"]: o for o in stack_plan.of_type(OBJECT)}
    assert all(o.inputs["bucket"] == bucket for o in objects.values())
    for jar in catalog.jars:
        assert f"jars/{jar.file}" in objects
    for wheel in catalog.wheels:
        assert f"python/{wheel.file}" in objects
    version = stack_plan.outputs["emrJobVersion"]
    assert f"jobs/streaming_job/{version}/streaming_job.zip" in objects
    assert f"jobs/streaming_job/{version}/streaming_job_main.py" in objects


def test_job_step_submits_the_job_with_its_contract(stack_plan: StackPlan) -> None:
    outputs, cfg = stack_plan.outputs, _spark_config(stack_plan)
    step = outputs["emrJobStep"]
    assert step["actionOnFailure"] == "CONTINUE" and step["jar"] == "command-runner.jar"
    args = step["args"]
    assert args[:6] == ["spark-submit", "--deploy-mode", "cluster", "--master", "yarn", "--name"]
    bucket = outputs["artifactsBucket"]["name"]
    jars = args[args.index("--jars") + 1].split(",")
    assert jars == [f"s3://{bucket}/jars/{jar.file}" for jar in load_catalog().jars]
    entry = args.index("--py-files") + 2
    assert args[entry].endswith("/streaming_job_main.py")
    job = parse_args(args[entry + 1 :])  # the job's own parser accepts the step's arguments
    assert job.bootstrap_servers == outputs["kafkaBootstrapBrokersIam"]
    assert job.topic == "events"
    assert job.checkpoint_root == f"s3://{outputs['checkpointsBucket']['name']}/streaming-job"
    assert job.lake_path.startswith(f"s3://{outputs['lakeBucket']['name']}/")
    assert job.dead_letter_path.startswith(f"s3://{outputs['lakeBucket']['name']}/dead-letter/")
    assert job.generation == cfg.job_generation
    assert job.starting.offsets == cfg.starting_offsets
    assert job.group_id_prefix == f"sp-{stack_plan.stack}-streaming-job"
    assert job.cache.host == outputs["cacheConfigurationEndpoint"]
    assert (job.cache.auth, job.cache.tls, job.cache.cluster_mode) == ("iam", True, True)
    assert job.cache.user_id == outputs["cacheIamUserId"]
    assert job.cache.cache_name == outputs["cacheReplicationGroupId"]
    assert job.region == stack_plan.region


def test_step_is_submitted_only_when_the_stack_runs_the_job(stack_plan: StackPlan) -> None:
    cfg = _spark_config(stack_plan)
    cluster = stack_plan.one(CLUSTER)
    assert "steps" in cluster.ignore_changes  # create-only: a new job version is an add-steps, not a new cluster
    if cfg.run_job:
        (step,) = cluster.inputs["steps"]
        expected = stack_plan.outputs["emrJobStep"]
        assert step == {
            "name": expected["name"],
            "actionOnFailure": "CONTINUE",
            "hadoopJarStep": {"jar": "command-runner.jar", "args": expected["args"]},
        }
    else:  # the warm standby: the step is ready in the outputs for a failover
        assert "steps" not in cluster.inputs
        assert stack_plan.outputs["emrJobSubmitted"] is False
        assert stack_plan.outputs["emrJobStep"]["args"][0] == "spark-submit"


def test_prod_dr_holds_the_job_back(plans: dict[str, StackPlan]) -> None:
    assert plans["prod"].outputs["emrJobSubmitted"] is True
    assert plans["prod-dr"].outputs["emrJobSubmitted"] is False


def test_outputs_blueprint_plan_shows(stack_plan: StackPlan) -> None:
    keys = {
        "emrClusterId",
        "emrClusterName",
        "emrFleets",
        "emrManagedScaling",
        "emrJobStep",
        "emrLogUri",
        "emrServiceRoleArn",
        "emrInstanceRoleArn",
    }
    assert keys <= set(stack_plan.outputs)
    assert stack_plan.outputs["emrClusterId"].startswith("j-")
    fleets = stack_plan.outputs["emrFleets"]
    assert fleets["task"]["allocationStrategy"] == "price-capacity-optimized"
    assert fleets["core"]["onDemand"] == _spark_config(stack_plan).core_capacity


# --- pure functions -----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(core=st.integers(1, 50), task=st.integers(0, 200), percent=st.integers(0, 100))
def test_scaling_grows_task_units_with_a_configured_on_demand_fallback(core: int, task: int, percent: int) -> None:
    cfg = load_stack("dev")[0].spark.model_copy(
        update={
            "core_capacity": core,
            "task_max_capacity": task,
            "managed_scaling_max": core + task,
            "task_on_demand_percent": percent,
        }
    )
    limits = emr.managed_scaling_limits(cfg)
    assert limits["minimum_capacity_units"] == limits["maximum_core_capacity_units"] == core
    on_demand_task_units = limits["maximum_ondemand_capacity_units"] - core
    # The share of task units that may run on-demand, rounded up, never above the task fleet.
    assert task * percent / 100 <= on_demand_task_units <= task
    assert on_demand_task_units < task * percent / 100 + 1
    assert (on_demand_task_units > 0) == (task > 0 and percent > 0)
    assert limits["maximum_ondemand_capacity_units"] <= limits["maximum_capacity_units"]


@settings(max_examples=40, deadline=None)
@given(
    region=st.sampled_from(["us-east-1", "us-west-2", "eu-west-1"]),
    account=st.from_regex(r"\A[0-9]{12}\Z"),
    with_kafka=st.booleans(),
    with_cache=st.booleans(),
    certificates=st.booleans(),
)
def test_instance_policy_never_grants_star(
    region: str, account: str, with_kafka: bool, with_cache: bool, certificates: bool
) -> None:
    arns = {
        role: f"arn:aws:s3:::sp-x-{role}-{account}-{region}" for role in ("artifacts", "checkpoints", "lake", "logs")
    }
    scope = spark.InstanceScope(region, account, arns, "s3://bucket/tls/certs.zip" if certificates else None)
    kafka = [f"arn:aws:kafka:{region}:{account}:cluster/c/u", f"arn:aws:kafka:{region}:{account}:topic/c/u/events", "g"]
    cache = [
        f"arn:aws:elasticache:{region}:{account}:replicationgroup:c",
        f"arn:aws:elasticache:{region}:{account}:user:u",
    ]
    policy = spark.instance_policy(
        scope, f"arn:aws:kms:{region}:{account}:key/k", kafka if with_kafka else None, cache if with_cache else None
    )
    resources = [r for s in policy["Statement"] for r in _resources(s)]
    assert "*" not in resources
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    assert ("ConnectToTheCluster" in sids) is with_kafka and ("ConnectToTheCache" in sids) is with_cache
    assert ("ReadInTransitCertificates" in sids) is certificates


def test_bootstrap_script_is_valid_bash_and_checks_every_wheel() -> None:
    catalog = load_catalog()
    script = spark_package.render_bootstrap("sp-dev-spark", "eu-west-1", "sp-dev-artifacts-1-eu-west-1", catalog)
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0
    for wheel in catalog.wheels:
        assert f"python/{wheel.file} {wheel.sha256}\n" in script
    assert "sha256sum --check" in script and "s3://sp-dev-artifacts-1-eu-west-1/$key" in script
    assert "pip install" not in script  # nothing from the internet at cluster start


def test_bootstrap_unpacks_verified_wheels(tmp_path: Path) -> None:
    """Run the rendered script for real with stand-ins for `aws s3 cp` and `sudo`."""
    wheel_bytes = _zip({"tinypkg/__init__.py": b"VALUE = 42\n"})
    catalog = Catalog(
        "3.5.6",
        "2.12",
        (),
        (Wheel("tinypkg", "1.0", "tinypkg-1.0-py3-none-any.whl", hashlib.sha256(wheel_bytes).hexdigest()),),
    )
    store = tmp_path / "s3"
    (store / "python").mkdir(parents=True)
    (store / "python" / "tinypkg-1.0-py3-none-any.whl").write_bytes(wheel_bytes)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(f'#!/bin/bash\nsrc="${{@: -2:1}}"; cp "{store}/${{src#s3://bucket/}}" "${{@: -1}}"\n')
    (bin_dir / "sudo").write_text('#!/bin/bash\nexec "$@"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    site = tmp_path / "site"
    script = (
        spark_package.render_bootstrap("c", "eu-west-1", "bucket", catalog)
        .replace(emr.SITE_DIR, str(site))
        .replace(emr.NODE_PYTHON, sys.executable)
    )
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (site / "tinypkg" / "__init__.py").read_text() == "VALUE = 42\n"
    # A tampered wheel stops the node before anything is unpacked.
    (store / "python" / "tinypkg-1.0-py3-none-any.whl").write_bytes(_zip({"tinypkg/__init__.py": b"EVIL = 1\n"}))
    shutil.rmtree(site)
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "does not match its pinned sha256" in result.stderr
    assert not (site / "tinypkg").exists()


def test_configurations_render_strictly() -> None:
    rendered = json.loads(emr.render_configurations())
    assert [c["Classification"] for c in rendered] == ["spark-defaults", "spark-env", "yarn-site"]
    with pytest.raises((jinja2.UndefinedError, TypeError), match=r"(?i)undefined"):
        emr.templates().get_template("emr/configurations.json.j2").render(python="p")


def test_job_package_is_reproducible_and_follows_the_code(tmp_path: Path) -> None:
    source = tmp_path / "streaming_job"
    shutil.copytree(JOB_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    first = spark_package.build_job_package(source, tmp_path / "out")
    again = spark_package.build_job_package(source, tmp_path / "out2")
    assert first.version == again.version and first.zip_path.read_bytes() == again.zip_path.read_bytes()
    names = zipfile.ZipFile(first.zip_path).namelist()
    assert "streaming_job/config.py" in names and not any("__pycache__" in n for n in names)
    (source / "config.py").write_text((source / "config.py").read_text() + "\n# changed\n")
    assert spark_package.build_job_package(source, tmp_path / "out").version != first.version


def test_missing_job_stops_the_program(tmp_path: Path) -> None:
    with pytest.raises(pulumi.RunError, match="streaming job is missing"):
        spark_package.build_job_package(tmp_path / "nothing", tmp_path / "out")


def test_preflight_demands_fetched_artifacts(tmp_path: Path) -> None:
    catalog = load_catalog()
    with pytest.raises(pulumi.RunError, match="blueprint artifacts fetch"):
        spark_package.preflight(catalog, tmp_path)
    manifest = {}
    for name, path in catalog.local_paths(tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
        manifest[name] = hashlib.sha256(name.encode()).hexdigest()
    artifacts.write_manifest(tmp_path, manifest)
    spark_package.preflight(catalog, tmp_path)  # complete and verified: no error
    next(iter(catalog.local_paths(tmp_path).values())).write_bytes(b"edited")
    with pytest.raises(pulumi.RunError, match="1 job artifact"):
        spark_package.preflight(catalog, tmp_path)


@mock_aws
def test_preflight_certificates_against_s3() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    with pytest.raises(pulumi.RunError, match="pulumi up --target"):  # a new stack: no bucket yet
        spark_package.preflight_certificates("s3://missing-bucket/tls/c.zip", s3)
    s3.create_bucket(Bucket="artifacts")
    with pytest.raises(pulumi.RunError, match="there is none"):
        spark_package.preflight_certificates("s3://artifacts/tls/c.zip", s3)
    s3.put_object(Bucket="artifacts", Key="tls/c.zip", Body=b"zip")
    spark_package.preflight_certificates("s3://artifacts/tls/c.zip", s3)  # present: no error


# --- config rules -------------------------------------------------------------------------------


def _spark_errors(stack: str, changes: dict[str, Any]) -> list[str]:
    return [e for e in config_errors(stack, changes) if "spark" in e or "cache.auth" in e]


def test_every_stack_passes_the_spark_rules() -> None:
    for stack in ("dev", "staging", "prod", "prod-dr"):
        assert _spark_errors(stack, {}) == []


@pytest.mark.parametrize(
    ("stack", "changes", "message"),
    [
        ("dev", {"spark": {"releaseLabel": "emr-6.15.0"}}, "documented EMR releases: emr-7.13.0"),
        ("dev", {"spark": {"releaseLabel": "emr-7.9.0"}}, "ships Spark 3.5.5-amzn-0 (Scala 2.12) but the job's jars"),
        ("prod", {"spark": {"primaryCount": 1}}, "prod runs 3 primary nodes"),
        ("prod", {"spark": {"idleTimeoutMinutes": 120}}, "no idle auto-termination"),
        ("prod", {"spark": {"inTransitEncryption": False}}, "prod encrypts traffic between nodes"),
        (
            "dev",
            {"spark": {"managedScalingMax": 10}},
            "must equal spark.coreCapacity + spark.taskMaxCapacity (1 + 2 = 3)",
        ),
        ("dev", {"spark": {"coreInstanceTypes": ["m7g.xlarge", "m7g.xlarge"]}}, "each instance type may appear once"),
        ("dev", {"spark": {"taskInstanceTypes": ["m7g-xlarge"]}}, "not EC2 instance types"),
        ("dev", {"spark": {"taskInstanceTypes": [f"m{i}.xlarge" for i in range(31)]}}, "at most 30 instance types"),
        ("dev", {"spark": {"taskInstanceTypes": []}}, "needs at least one task instance type"),
        ("dev", {"spark": {"coreInstanceTypes": []}}, "the core fleet needs at least one instance type"),
        ("dev", {"spark": {"tlsCertificatesS3Uri": "s3://certs/emr.zip"}}, "only used with spark.inTransitEncryption"),
        ("staging", {"spark": {"tlsCertificatesS3Uri": "https://certs/emr.zip"}}, "must be s3://<bucket>/<key>.zip"),
        ("dev", {"spark": {"startingTimestamp": "2026-11-26T10:00:00"}}, "ISO-8601 time with a UTC offset"),
        ("dev", {"spark": {"startingTimestamp": "yesterday"}}, "ISO-8601 time with a UTC offset"),
        ("dev", {"cache": {"auth": "token"}}, "authenticates to the cache with IAM only"),
    ],
)
def test_spark_rules(stack: str, changes: dict[str, Any], message: str) -> None:
    errors = _spark_errors(stack, changes)
    assert any(message in e for e in errors), errors


def test_rules_accept_the_valid_variants() -> None:
    assert _spark_errors("staging", {"spark": {"tlsCertificatesS3Uri": "s3://security-certs/emr/in-transit.zip"}}) == []
    assert _spark_errors("dev", {"spark": {"startingTimestamp": "2026-11-26T10:00:00Z"}}) == []
    assert _spark_errors("dev", {"cache": {"auth": "token"}, "spark": {"runJob": False}}) == []
    assert _spark_errors("dev", {"spark": {"releaseLabel": "emr-7.12.0"}}) == []  # also Spark 3.5.6


def test_unknown_spark_key_is_rejected_with_a_hint() -> None:
    errors = config_errors("dev", {"spark": {"runJobs": False}})
    assert any("did you mean 'runJob'" in e for e in errors), errors


def test_starting_timestamp_replaces_starting_offsets_in_the_step(plans: dict[str, StackPlan]) -> None:
    plan = plans["dev"]
    cfg = _spark_config(plan).model_copy(update={"starting_timestamp": "2026-01-15T10:00:00Z", "job_generation": 3})
    cache = emr.CacheAccess("cache.example", 6379, "sp-dev-cache", "arn:rg", "app", "arn:user")
    locations = emr.JobLocations(
        "s3://a/main.py", "s3://a/job.zip", ("s3://a/x.jar",), "s3://c/job", "s3://l/events", "s3://l/dlq/events"
    )
    step = emr.job_step(
        cfg,
        locations,
        bootstrap_brokers="b-1.example:9098",
        topic="events",
        region="eu-west-1",
        group_id_prefix="sp-dev-streaming-job",
        cache_host="cache.example",
        cache=cache,
    )
    args = step["args"]
    assert "--starting-offsets" not in args and step["name"] == "streaming-job generation 3"
    job = parse_args(args[args.index("s3://a/main.py") + 1 :])
    assert job.starting.timestamp_ms == 1768471200000 and job.generation == 3
    assert job.checkpoint_location == "s3://c/job/generation=3"


# --- blueprint artifacts ------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


class _Repository(http.server.SimpleHTTPRequestHandler):
    """Serves a directory laid out like Maven Central, a release page and PyPI's JSON API; counts requests."""

    hits: list[str] = []  # noqa: RUF012 - per-server list set in the fixture

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.hits.append(self.path)
        super().do_GET()


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    root = tmp_path / "remote"
    root.mkdir()
    hits: list[str] = []
    handler = type("Handler", (_Repository,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root, hits
    finally:
        server.shutdown()
        server.server_close()


def _publish(root: Path, base: str) -> Catalog:
    """One Maven jar, one release jar and one wheel, each with its publisher's checksum."""
    maven_jar = b"maven jar bytes"
    maven = root / "maven/org/example/lib/1.0"
    maven.mkdir(parents=True)
    (maven / "lib-1.0.jar").write_bytes(maven_jar)
    (maven / "lib-1.0.jar.sha1").write_text(hashlib.sha1(maven_jar).hexdigest() + "  lib-1.0.jar\n")
    release_jar = b"release jar bytes"
    (root / "releases").mkdir()
    (root / "releases/tool-2.0-all.jar").write_bytes(release_jar)
    (root / "releases/tool-2.0-all.jar.sha256").write_text(hashlib.sha256(release_jar).hexdigest() + "\n")
    wheel = _zip({"tiny/__init__.py": b""})
    (root / "files").mkdir()
    (root / "files/tiny-1.0-py3-none-any.whl").write_bytes(wheel)
    digest = hashlib.sha256(wheel).hexdigest()
    index = root / "pypi/tiny/1.0"
    index.mkdir(parents=True)
    answer = {
        "urls": [
            {
                "filename": "tiny-1.0-py3-none-any.whl",
                "url": f"{base}/files/tiny-1.0-py3-none-any.whl",
                "digests": {"sha256": digest},
            }
        ]
    }
    (index / "json").write_text(json.dumps(answer))
    return Catalog(
        "3.5.6",
        "2.12",
        (
            Jar("lib-1.0.jar", "test", coordinates="org.example:lib:1.0"),
            Jar("tool-2.0-all.jar", "test", url=f"{base}/releases/tool-2.0-all.jar"),
        ),
        (Wheel("tiny", "1.0", "tiny-1.0-py3-none-any.whl", digest),),
    )


def test_fetch_downloads_verifies_and_then_stays_offline(
    repository: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    base, root, hits = repository
    catalog = _publish(root, base)
    build = tmp_path / "build"
    outcomes = fetch_all(catalog, build, maven_url=f"{base}/maven", pypi_url=base)
    assert [o.status for o in outcomes] == ["downloaded"] * 3
    assert (build / "jars/lib-1.0.jar").read_bytes() == b"maven jar bytes"
    assert (build / "jars/tool-2.0-all.jar").read_bytes() == b"release jar bytes"
    assert missing_or_modified(catalog, build) == []
    hits.clear()
    again = fetch_all(catalog, build, maven_url=f"{base}/maven", pypi_url=base)
    assert [o.status for o in again] == ["up to date"] * 3 and hits == []
    (build / "jars/lib-1.0.jar").write_bytes(b"tampered")
    assert missing_or_modified(catalog, build) == ["jars/lib-1.0.jar"]
    repaired = fetch_all(catalog, build, maven_url=f"{base}/maven", pypi_url=base)
    assert [o.status for o in repaired] == ["downloaded", "up to date", "up to date"]


def test_fetch_refuses_a_file_that_does_not_match_its_checksum(
    repository: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    base, root, _ = repository
    catalog = _publish(root, base)
    (root / "maven/org/example/lib/1.0/lib-1.0.jar").write_bytes(b"swapped on the mirror")
    build = tmp_path / "build"
    outcomes = {o.name: o for o in fetch_all(catalog, build, maven_url=f"{base}/maven", pypi_url=base)}
    failed = outcomes["jars/lib-1.0.jar"]
    assert failed.status == "failed" and "does not match the published" in failed.detail
    assert not (build / "jars/lib-1.0.jar").exists()
    assert "jars/lib-1.0.jar" not in artifacts.read_manifest(build)
    assert outcomes["jars/tool-2.0-all.jar"].status == "downloaded"


def test_fetch_refuses_a_wheel_whose_pypi_digest_differs_from_the_pin(
    repository: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    base, root, _ = repository
    catalog = _publish(root, base)
    pinned = catalog.wheels[0]
    wrong_pin = Catalog(
        catalog.spark_version, catalog.scala_binary, (), (Wheel(pinned.name, pinned.version, pinned.file, "0" * 64),)
    )
    (outcome,) = fetch_all(wrong_pin, tmp_path / "build", pypi_url=base)
    assert outcome.status == "failed" and "differs from the pinned" in outcome.detail


def test_fetch_reports_http_errors(repository: tuple[str, Path, list[str]], tmp_path: Path) -> None:
    base, _, _ = repository
    catalog = Catalog("3.5.6", "2.12", (Jar("absent-1.0.jar", "test", coordinates="org.example:absent:1.0"),), ())
    (outcome,) = fetch_all(catalog, tmp_path / "build", maven_url=f"{base}/maven")
    assert outcome.status == "failed" and "HTTP 404" in outcome.detail


def test_fetch_command_exit_codes(
    repository: tuple[str, Path, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, root, _ = repository
    catalog = _publish(root, base)
    monkeypatch.setattr(artifacts_cli, "load_catalog", lambda: catalog)
    build = str(tmp_path / "build")
    assert artifacts_cli.main(["artifacts", "status", "--dest", build]) == 1
    assert "run `blueprint artifacts fetch`" in capsys.readouterr().err
    assert (
        artifacts_cli.main(["artifacts", "fetch", "--dest", build, "--maven-url", f"{base}/maven", "--pypi-url", base])
        == 0
    )
    assert artifacts_cli.main(["artifacts", "status", "--dest", build]) == 0
    (root / "releases/tool-2.0-all.jar").write_bytes(b"changed upstream")
    assert (
        artifacts_cli.main(
            ["artifacts", "fetch", "--dest", build, "--force", "--maven-url", f"{base}/maven", "--pypi-url", base]
        )
        == 1
    )
    assert "1 of 3 artifact(s) failed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        artifacts_cli.main(["artifacts", "fetch", "--maven-url", "ftp://mirror"])
    assert exit_info.value.code == 2
    monkeypatch.setattr(
        artifacts_cli, "load_catalog", lambda: (_ for _ in ()).throw(artifacts.CatalogError("broken catalog"))
    )
    assert artifacts_cli.main(["artifacts", "status"]) == 1


def test_catalog_matches_the_default_release() -> None:
    catalog = load_catalog()
    release = emr_releases()[load_stack("prod")[0].spark.release_label]
    assert (catalog.spark_version, catalog.scala_binary) == (release.upstream_spark, release.scala_binary)
    spark_jars = [j for j in catalog.jars if j.coordinates and j.coordinates.startswith("org.apache.spark:")]
    assert spark_jars and all(
        j.coordinates.endswith(f"_{catalog.scala_binary}:{catalog.spark_version}") for j in spark_jars if j.coordinates
    )
    assert all(w.file.endswith("-none-any.whl") for w in catalog.wheels)
    assert (
        Jar("x-1.jar", "", coordinates="org.example:x:1").download_url("https://m/")
        == "https://m/org/example/x/1/x-1.jar"
    )


def test_catalog_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("jars:\n  - maven: not-coordinates\n")
    with pytest.raises(artifacts.CatalogError, match="is not group:artifact:version"):
        load_catalog(bad)
    bad.write_text(
        "python_wheels:\n  - {name: x, version: '1', file: x-1-cp39-cp39-linux_x86_64.whl, sha256: " + "a" * 64 + "}\n"
    )
    with pytest.raises(artifacts.CatalogError, match="not a pure-Python wheel"):
        load_catalog(bad)
    with pytest.raises(artifacts.CatalogError, match="cannot read"):
        load_catalog(tmp_path / "absent.yaml")


def test_published_checksum_formats() -> None:
    digest = hashlib.sha1(b"x").hexdigest()
    assert published_checksum(f"{digest}  x.jar\n", "sha1", "u") == digest
    assert published_checksum(digest.upper(), "sha1", "u") == digest
    with pytest.raises(artifacts.FetchError, match="not a sha1 checksum"):
        published_checksum("<html>not found</html>", "sha1", "u")


def test_network_resources_emr_touches_carry_the_v2_tag(stack_plan: StackPlan) -> None:
    ids = set(stack_plan.outputs["privateAppSubnetIds"]) | {stack_plan.outputs["securityGroupIds"]["processing"]}
    tagged = {r.outputs.get("id") for r in stack_plan.resources if V2_TAG in (r.inputs.get("tags") or {}).items()}
    assert ids <= tagged


def test_shuffle_partitions_are_fixed_for_the_checkpoint(stack_plan: StackPlan) -> None:
    """A stateful query's checkpoint keeps its first shuffle partition count: the cluster pins it."""
    cluster = stack_plan.one("aws:emr/cluster:Cluster")
    [defaults] = [
        c for c in json.loads(cluster.inputs["configurationsJson"]) if c["Classification"] == "spark-defaults"
    ]
    assert defaults["Properties"]["spark.sql.shuffle.partitions"] == str(emr.SHUFFLE_PARTITIONS)


def test_task_fleet_starts_with_one_spot_unit_and_no_on_demand(stack_plan: StackPlan) -> None:
    """EMR refuses a fleet whose spot and on-demand targets are both 0; the scaler grows it from there."""
    fleet = stack_plan.one(FLEET)
    assert fleet.inputs["targetSpotCapacity"] == emr.TASK_SPOT_INITIAL == 1
    assert fleet.inputs["targetOnDemandCapacity"] == 0
