"""The MSK tier: config rules, pure planning, and the resources every stack's plan registers."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from infra.catalog import msk, sizing
from infra.components import kafka as kafka_component
from infra.components import storage as storage_component
from infra.components.foundation import Foundation
from infra.config import Problem, clock, load_stack, parse
from infra.config.kafka_sizing import resolve_sizing, workload_of
from infra.config.rules import kafka as kafka_rules
from infra.offline import runtime
from infra.offline.record import PlannedResource, StackPlan
from infra.paths import DATA
from infra.planning import kafka as kafka_plan
from tests.helpers import config_errors, plan_tier, raw_with

CLUSTER = "aws:msk/cluster:Cluster"
CONFIGURATION = "aws:msk/configuration:Configuration"
TOPIC = "aws:msk/topic:Topic"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SCRAM_ASSOCIATION = "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation"
KAFKA_COMPONENT = "streaming:kafka:Kafka"
ENHANCED_MONITORING = {"dev": "DEFAULT", "staging": "PER_BROKER", "prod": "PER_TOPIC_PER_BROKER"}


# --- helpers -----------------------------------------------------------------------------


@functools.cache
def stack_config(stack: str) -> Any:
    """A stack file's validated config (read once per test run)."""
    return load_stack(stack)[0]


def config_of(plan: StackPlan) -> Any:
    return stack_config(plan.stack)


def kafka_resources(plan: StackPlan, type_token: str) -> list[PlannedResource]:
    """Resources of a type that belong to the Kafka component."""
    return [
        r for r in plan.of_type(type_token) if (c := plan.component_of(r)) is not None and c.type == KAFKA_COMPONENT
    ]


def at_path(document: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        document = document[part]
    return document


@pytest.fixture
def plan_with() -> Callable[..., StackPlan]:
    """Plan a stack's Kafka tier with some config keys changed (as if its stack file said so).

    Only what the tier stands on is planned with it: the foundation and storage (the broker
    logs bucket); the plan's outputs are the foundation's and the tier's, plus ``extra_outputs``.
    """

    def plan(
        stack: str, changes: dict[str, Any], extra_outputs: Callable[[Any], dict[str, Any]] | None = None
    ) -> StackPlan:
        def tier(foundation: Foundation) -> dict[str, Any]:
            built = kafka_component.build(foundation, storage_component.build(foundation).component)
            return {**built.outputs, **(extra_outputs(built.component) if extra_outputs is not None else {})}

        return plan_tier(stack, tier, changes)

    return plan


# --- config rules ------------------------------------------------------------------------


def test_unknown_kafka_version_is_an_error_listing_the_supported_ones() -> None:
    errors = config_errors("staging", {"kafka": {"kafkaVersion": "3.8.1"}})
    assert any(
        "kafka.kafkaVersion = '3.8.1'" in e and "not a Kafka version MSK offers" in e and "3.8.x" in e for e in errors
    )


def test_kafka_version_past_end_of_support_is_an_error() -> None:
    errors = config_errors("prod", {"kafka": {"kafkaVersion": "3.5.1"}})
    assert any("kafka.kafkaVersion" in e and "ended support for 3.5.1 on 2025-10-23" in e for e in errors)


def test_express_only_kafka_version_is_an_error() -> None:
    errors = config_errors("dev", {"kafka": {"kafkaVersion": "4.2.x.kraft"}})
    assert any("Express brokers only" in e for e in errors)


def test_kraft_version_is_accepted() -> None:
    assert config_errors("staging", {"kafka": {"kafkaVersion": "3.9.x.kraft"}}) == []


def test_version_rule_judges_end_of_support_against_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    staging = stack_config("staging")
    config = staging.model_copy(update={"kafka": staging.kafka.model_copy(update={"kafka_version": "3.7.x"})})

    def version_problems(day: str) -> list[Problem]:
        monkeypatch.setenv(clock.TODAY_ENV, day)
        return [p for p in kafka_rules.check(config) if p.key == "kafka.kafkaVersion"]

    before, on_the_day = version_problems("2026-08-31"), version_problems("2026-09-01")
    assert before == []
    assert len(on_the_day) == 1 and "2026-09-01" in on_the_day[0].message


def test_every_listed_version_has_a_source_and_a_mode() -> None:
    data = msk._VERSIONS_DATA
    for version, row in data["versions"].items():
        assert row["sources"] and set(row["sources"]) <= set(data["sources"]), version
        assert row["metadata_mode"] == ("kraft" if version.endswith(".kraft") else "zookeeper"), version
    assert data["checked"] == "2026-11-26"
    assert "3.8.x" in msk.supported_versions(date(2026, 11, 26))


def test_msk_needs_two_or_three_azs() -> None:
    errors = config_errors("staging", {"network": {"azCount": 4}})
    assert any("network.azCount = 4" in e and "MSK places brokers in 2 or 3 AZs" in e for e in errors)


def test_explicit_brokers_must_be_a_multiple_of_the_az_count() -> None:
    errors = config_errors(
        "staging",
        {"kafka": {"sizing": "explicit", "instanceType": "kafka.m7g.xlarge", "brokers": 4, "volumeGib": 1000}},
    )
    assert any("kafka.brokers = 4" in e and "multiple of network.azCount (3)" in e for e in errors)


def test_explicit_brokers_must_reach_the_replication_factor() -> None:
    errors = config_errors(
        "dev",
        {
            "workload": {"replicationFactor": 3},
            "kafka": {"sizing": "explicit", "instanceType": "kafka.m7g.large", "brokers": 2, "volumeGib": 500},
        },
    )
    assert any("kafka.brokers = 2" in e and "at least workload.replicationFactor (3)" in e for e in errors)


def test_prod_replication_factor_below_three_is_an_error() -> None:
    errors = config_errors("prod", {"workload": {"replicationFactor": 2}})
    assert any("workload.replicationFactor = 2" in e and "prod needs 3 or more replicas" in e for e in errors)


def test_explicit_sizing_needs_its_fields() -> None:
    errors = config_errors("staging", {"kafka": {"sizing": "explicit"}})
    for key in ("instanceType", "brokers", "volumeGib"):
        assert any(f"kafka.{key} = None" in e and "required when kafka.sizing is 'explicit'" in e for e in errors)


def test_explicit_unknown_instance_type_is_an_error() -> None:
    errors = config_errors(
        "staging", {"kafka": {"sizing": "explicit", "instanceType": "kafka.r5.large", "brokers": 3, "volumeGib": 100}}
    )
    assert any("kafka.instanceType = 'kafka.r5.large'" in e and "not an MSK Standard broker size" in e for e in errors)


TOO_SMALL = {"sizing": "explicit", "instanceType": "kafka.m7g.large", "brokers": 3, "volumeGib": 100}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_explicit_cluster_too_small_is_an_error_outside_dev(stack: str) -> None:
    errors = config_errors(stack, {"workload": {"ingressMbps": 200}, "kafka": TOO_SMALL})
    shortfalls = [e for e in errors if "explicit cluster cannot carry the declared workload" in e]
    assert any("throughput:" in e for e in shortfalls)
    assert any("storage:" in e for e in shortfalls)


def test_explicit_cluster_too_small_is_a_warning_in_dev() -> None:
    raw = raw_with("dev", {"workload": {"ingressMbps": 200}, "kafka": {**TOO_SMALL, "brokers": 2}})
    config, warnings = parse(raw, "dev")
    assert config.kafka.brokers == 2
    assert warnings and all(w.severity == "warning" and w.key == "kafka.brokers" for w in warnings)
    assert any("throughput:" in w.message for w in warnings)


def test_explicit_cluster_that_fits_has_no_problem() -> None:
    fits = {"sizing": "explicit", "instanceType": "kafka.m7g.xlarge", "brokers": 3, "volumeGib": 6000}
    assert config_errors("staging", {"kafka": fits}) == []


def test_burstable_brokers_are_an_error_in_prod() -> None:
    errors = config_errors(
        "prod", {"kafka": {"sizing": "explicit", "instanceType": "kafka.t3.small", "brokers": 3, "volumeGib": 100}}
    )
    assert any("kafka.instanceType = 'kafka.t3.small'" in e and "non-burstable" in e for e in errors)


def test_explicit_settings_msk_rejects_are_errors() -> None:
    errors = config_errors(
        "staging",
        {
            "kafka": {
                "sizing": "explicit",
                "instanceType": "kafka.m7g.large",
                "brokers": 3,
                "volumeGib": 6000,
                "volumeThroughputMbps": 500,
            }
        },
    )
    assert any("kafka.sizing = 'explicit'" in e and "MSK would reject" in e for e in errors)


def test_explicit_fields_with_workload_sizing_are_errors() -> None:
    errors = config_errors("staging", {"kafka": {"instanceType": "kafka.m7g.large", "brokers": 3}})
    assert any("kafka.instanceType" in e and "only with kafka.sizing 'explicit'" in e for e in errors)
    assert any("kafka.brokers" in e and "only with kafka.sizing 'explicit'" in e for e in errors)


def test_workload_no_cluster_can_carry_is_an_error() -> None:
    errors = config_errors("staging", {"workload": {"ingressMbps": 100_000}})
    assert any("workload.ingressMbps = 100000" in e and "no MSK cluster fits the workload" in e for e in errors)


def test_storage_autoscaling_ceiling_below_the_sized_volume_is_an_error() -> None:
    config = stack_config("staging")
    volume = resolve_sizing(config).volume_gib
    errors = config_errors("staging", {"kafka": {"storageAutoscaling": {"maxVolumeGib": volume - 1}}})
    assert any("kafka.storageAutoscaling.maxVolumeGib" in e and f"{volume} GiB per broker" in e for e in errors)
    disabled = {"storageAutoscaling": {"enabled": False, "maxVolumeGib": volume - 1}}
    assert config_errors("staging", {"kafka": disabled}) == []


def test_disk_alarm_at_or_below_the_fill_target_is_an_error() -> None:
    errors = config_errors("staging", {"kafka": {"diskFillPercent": 70}, "observability": {"mskDiskUsedPercent": 70}})
    assert any("observability.mskDiskUsedPercent = 70" in e and "kafka.diskFillPercent (70)" in e for e in errors)
    assert config_errors("staging", {"kafka": {"diskFillPercent": 70}}) == []


# --- pure planning -----------------------------------------------------------------------


@given(r=st.integers(min_value=2, max_value=5))
def test_min_insync_replicas_tolerates_one_broker_down(r: int) -> None:
    value = kafka_plan.min_insync_replicas(r)
    assert 1 <= value <= r - 1
    assert value == 2 or r == 2


@given(
    data_topics=st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=1, max_size=4, unique=True),
    dead_topics=st.integers(min_value=0, max_value=3),
    partitions=st.integers(min_value=1, max_value=5000),
    azs=st.sampled_from(msk.MSK_AZ_COUNTS),
)
def test_topic_plan_spends_the_declared_partitions(
    data_topics: list[str], dead_topics: int, partitions: int, azs: int
) -> None:
    config = stack_config("staging")
    topics = (*data_topics, *(f"{t}-dlq" for t in data_topics[:dead_topics]))
    workload = config.workload.model_copy(update={"topics": topics, "partitions": partitions})
    plans = kafka_plan.plan_topics(workload, azs)
    assert [p.name for p in plans] == list(topics)
    assert all(p.partitions >= 1 and p.replication_factor == workload.replication_factor for p in plans)
    assert all(p.partitions == azs for p in plans if p.dead_letter)
    data = [p.partitions for p in plans if not p.dead_letter]
    assert max(data) - min(data) <= 1
    if partitions >= azs * sum(p.dead_letter for p in plans) + len(data):
        assert sum(p.partitions for p in plans) == partitions


@given(hours=st.floats(min_value=1, max_value=24 * 365), other=st.floats(min_value=1, max_value=24 * 365))
def test_configuration_name_changes_with_every_property_value(hours: float, other: float) -> None:
    config = stack_config("prod")

    def name_for(retention_hours: float, version: str = "3.8.x") -> str:
        changed = config.model_copy(
            update={"workload": config.workload.model_copy(update={"retention_hours": retention_hours})}
        )
        return kafka_plan.configuration_name(
            "sp-prod-kafka", kafka_plan.render_server_properties(changed, "sp-prod-kafka"), [version]
        )

    assert name_for(hours) == name_for(hours)
    assert re.fullmatch(r"sp-prod-kafka-[0-9a-f]{10}", name_for(hours))
    if kafka_plan.retention_ms(hours) != kafka_plan.retention_ms(other):
        assert name_for(hours) != name_for(other)
    assert name_for(hours) != name_for(hours, "3.9.x")


def test_server_properties_drop_comments_so_only_values_name_the_configuration() -> None:
    config = stack_config("prod")
    text = kafka_plan.render_server_properties(config, "sp-prod-kafka")
    assert "#" not in text and "\n\n" not in text
    assert kafka_plan.render_server_properties(config, "another-name") == text


def test_resolve_sizing_keeps_burstable_brokers_for_dev_only() -> None:
    for stack in ("staging", "prod"):
        config = stack_config(stack)
        assert not sizing.BROKER_SPECS[resolve_sizing(config).instance_type].burstable
    dev = stack_config("dev")
    expected = sizing.recommend(workload_of(dev), dev.network.az_count)
    assert resolve_sizing(dev).instance_type == expected.instance_type


# --- the plan of every stack ---------------------------------------------------------------


def test_cluster_belongs_to_the_kafka_component_with_the_stack_provider(stack_plan: StackPlan) -> None:
    cluster = stack_plan.one(CLUSTER)
    component = stack_plan.component_of(cluster)
    assert component is not None and component.type == KAFKA_COMPONENT and component.name == "kafka"
    assert cluster.parent == component.urn
    assert cluster.provider and cluster.provider.startswith(f"urn:pulumi:{stack_plan.stack}::")
    assert stack_plan.outputs["kafkaClusterName"] == cluster.inputs["clusterName"] == f"sp-{stack_plan.stack}-kafka"


def test_brokers_spread_over_the_private_data_subnets_of_every_az(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    info = stack_plan.one(CLUSTER).inputs
    subnets = info["brokerNodeGroupInfo"]["clientSubnets"]
    assert subnets == stack_plan.outputs["privateDataSubnetIds"]
    assert len(subnets) == config.network.az_count
    brokers = int(info["numberOfBrokerNodes"])
    assert brokers % config.network.az_count == 0
    assert brokers >= config.workload.replication_factor
    assert info["brokerNodeGroupInfo"]["securityGroups"] == [stack_plan.outputs["securityGroupIds"]["kafka"]]


def test_cluster_shape_is_the_resolved_sizing(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    expected = resolve_sizing(config)
    info = stack_plan.one(CLUSTER).inputs
    assert info["brokerNodeGroupInfo"]["instanceType"] == expected.instance_type
    assert int(info["numberOfBrokerNodes"]) == expected.brokers
    assert int(at_path(info, "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize")) == expected.volume_gib
    output = stack_plan.outputs["kafkaSizing"]
    assert output["instanceType"] == expected.instance_type and output["brokers"] == expected.brokers
    assert output["limitingTerm"] == expected.evaluation.limiting_term
    assert output["targetMbps"] == pytest.approx(0.8 * output["sustainedLimitMbps"], rel=1e-3)
    assert output["peakIngressMbps"] <= output["targetMbps"] + 1e-6
    assert output["reasons"] and output["problems"] == []


def test_create_timeout_covers_the_create_and_the_connectivity_update_the_provider_runs_after_it(
    stack_plan: StackPlan,
) -> None:
    config = config_of(stack_plan)
    cluster = stack_plan.one(CLUSTER)
    multi_vpc = "connectivityInfo" in cluster.inputs["brokerNodeGroupInfo"]
    assert multi_vpc == (config.dr.strategy == "warm-standby")
    times = yaml.safe_load((DATA / "create_times.yaml").read_text(encoding="utf-8"))["types"][CLUSTER]
    needed = times["slowest_create_minutes"] + (max(times["connectivity_update_range"]) if multi_vpc else 0)
    assert needed >= max(times["create_range"])
    for operation in ("create", "update"):
        minutes = int(cluster.custom_timeouts[operation].removesuffix("m"))
        # Twice the slowest reported run, so a slow day does not leave a half-created cluster in the state.
        assert minutes == 2 * needed
    if multi_vpc:
        single = kafka_plan.create_timeouts(False)["create"]
        assert int(cluster.custom_timeouts["create"].removesuffix("m")) > int(single.removesuffix("m"))


def test_kafka_version_comes_from_config_and_is_supported(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    cluster, configuration = stack_plan.one(CLUSTER), stack_plan.one(CONFIGURATION)
    assert cluster.inputs["kafkaVersion"] == config.kafka.kafka_version == stack_plan.outputs["kafkaVersion"]
    assert configuration.inputs["kafkaVersions"] == [config.kafka.kafka_version]
    assert msk.version_problem(config.kafka.kafka_version, clock.today()) is None


def test_encryption_and_authentication(stack_plan: StackPlan) -> None:
    info = stack_plan.one(CLUSTER).inputs
    encryption = info["encryptionInfo"]
    assert encryption["encryptionAtRestKmsKeyArn"] == stack_plan.outputs["kmsKeyArn"]
    assert encryption["encryptionInTransit"] == {"clientBroker": "TLS", "inCluster": True}
    auth = info["clientAuthentication"]
    assert auth["sasl"]["iam"] is True and auth["unauthenticated"] is False
    assert auth["sasl"]["scram"] is config_of(stack_plan).kafka.scram


def test_broker_configuration_settings(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    r = config.workload.replication_factor
    properties = kafka_plan.parse_properties(stack_plan.one(CONFIGURATION).inputs["serverProperties"])
    assert properties["auto.create.topics.enable"] == "false"
    assert properties["default.replication.factor"] == str(r)
    assert properties["min.insync.replicas"] == str(min(2, r - 1))
    assert properties["unclean.leader.election.enable"] == "false"
    assert int(properties["log.retention.ms"]) == round(config.workload.retention_hours * 3_600_000)
    if config.tier == "prod":
        assert properties["min.insync.replicas"] == "2"


def test_configuration_is_content_named_and_created_before_the_old_one_is_deleted(stack_plan: StackPlan) -> None:
    configuration, cluster = stack_plan.one(CONFIGURATION), stack_plan.one(CLUSTER)
    name = configuration.inputs["name"]
    assert name == kafka_plan.configuration_name(
        cluster.inputs["clusterName"], configuration.inputs["serverProperties"], configuration.inputs["kafkaVersions"]
    )
    assert configuration.delete_before_replace is False
    assert configuration.replace_on_changes == ()
    assert (
        cluster.inputs["configurationInfo"]["arn"]
        == configuration.outputs["arn"]
        == stack_plan.outputs["kafkaConfigurationArn"]
    )
    assert int(cluster.inputs["configurationInfo"]["revision"]) == configuration.outputs["latestRevision"]
    assert configuration.urn in cluster.dependencies


def test_changing_a_server_property_renames_the_configuration(
    plans: dict[str, StackPlan], plan_with: Callable[..., StackPlan]
) -> None:
    before = plans["staging"].one(CONFIGURATION).inputs
    after = plan_with("staging", {"workload": {"retentionHours": 48}}).one(CONFIGURATION).inputs
    assert kafka_plan.parse_properties(after["serverProperties"])["log.retention.ms"] == str(48 * 3_600_000)
    assert after["name"] != before["name"]
    assert after["name"].startswith("sp-staging-kafka-")


def test_storage_autoscaling_and_the_conditional_volume_ignore(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    cluster = stack_plan.one(CLUSTER)
    targets, policies = kafka_resources(stack_plan, SCALING_TARGET), kafka_resources(stack_plan, SCALING_POLICY)
    if not config.kafka.storage_autoscaling.enabled:
        assert cluster.ignore_changes == ()
        assert targets == [] and policies == []
        return
    assert cluster.ignore_changes == (kafka_component.VOLUME_SIZE_PATH,)
    at_path(cluster.inputs, kafka_component.VOLUME_SIZE_PATH)  # the ignored path is a real engine path
    (target,) = targets
    (policy,) = policies
    assert target.inputs["serviceNamespace"] == "kafka"
    assert target.inputs["scalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target.inputs["resourceId"] == stack_plan.outputs["kafkaClusterArn"]
    assert int(target.inputs["maxCapacity"]) == config.kafka.storage_autoscaling.max_volume_gib
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "KafkaBrokerStorageUtilization"
    assert tracking["targetValue"] == config.kafka.disk_fill_percent
    assert tracking["disableScaleIn"] is True
    assert target.urn in policy.dependencies


def test_one_fill_target_sizes_the_disks_drives_the_scaler_and_sits_below_the_disk_alarm(
    stack_plan: StackPlan,
) -> None:
    config = config_of(stack_plan)
    fill = config.kafka.disk_fill_percent
    planned = resolve_sizing(config)
    volume = int(at_path(stack_plan.one(CLUSTER).inputs, "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"))
    retained = sizing.retained_gib_per_broker(workload_of(config), planned.brokers)
    # Full retention fills each planned volume to the fill target, and no GiB more is bought.
    assert retained <= volume * fill / 100 * (1 + 1e-9)
    assert volume == max(sizing.MIN_VOLUME_GIB, math.ceil(retained / (fill / 100)))
    # The scaler keeps the disks at the same share, so it does not grow the volumes the plan priced.
    for policy in kafka_resources(stack_plan, SCALING_POLICY):
        assert policy.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] == fill
    disk_alarms = [
        alarm
        for alarm in stack_plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarm.inputs.get("metricName") == "KafkaDataLogsDiskUsed"
    ]
    assert len(disk_alarms) == planned.brokers
    assert all(alarm.inputs["threshold"] == config.observability.msk_disk_used_percent > fill for alarm in disk_alarms)


def test_a_lower_fill_target_buys_larger_volumes(
    plans: dict[str, StackPlan], plan_with: Callable[..., StackPlan]
) -> None:
    def volume(plan: StackPlan) -> int:
        return int(at_path(plan.one(CLUSTER).inputs, "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"))

    lower = plan_with("staging", {"kafka": {"diskFillPercent": 30}})
    assert volume(lower) >= 2 * volume(plans["staging"]) - 1
    (policy,) = kafka_resources(lower, SCALING_POLICY)
    assert policy.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] == 30


def test_dev_has_autoscaling_off_and_the_other_tiers_on(plans: dict[str, StackPlan]) -> None:
    assert plans["dev"].one(CLUSTER).ignore_changes == ()
    for stack in ("staging", "prod", "prod-dr"):
        assert plans[stack].one(CLUSTER).ignore_changes == (kafka_component.VOLUME_SIZE_PATH,)


def test_broker_logs_and_monitoring(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    info = stack_plan.one(CLUSTER).inputs
    logs = info["loggingInfo"]["brokerLogs"]
    (group,) = [g for g in kafka_resources(stack_plan, "aws:cloudwatch/logGroup:LogGroup")]
    assert logs["cloudwatchLogs"] == {"enabled": True, "logGroup": group.inputs["name"]}
    assert group.inputs["name"] == f"/sp/{stack_plan.stack}/kafka" == stack_plan.outputs["kafkaLogGroupName"]
    assert group.inputs["retentionInDays"] == config.kafka.log_retention_days
    assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert logs["s3"] == {"enabled": True, "bucket": stack_plan.outputs["logsBucket"]["name"], "prefix": "msk"}
    assert info["enhancedMonitoring"] == ENHANCED_MONITORING[config.tier] == config.kafka.enhanced_monitoring
    prometheus = info["openMonitoring"]["prometheus"]
    assert prometheus == {"jmxExporter": {"enabledInBroker": True}, "nodeExporter": {"enabledInBroker": True}}


def test_only_ingest_processing_and_the_canary_reach_the_broker_ports(stack_plan: StackPlan) -> None:
    groups = stack_plan.outputs["securityGroupIds"]
    rules = [r.inputs for r in kafka_resources(stack_plan, INGRESS)]
    assert all(r["securityGroupId"] == groups["kafka"] for r in rules)
    admitted = {(r["referencedSecurityGroupId"], int(r["fromPort"]), int(r["toPort"]), r["ipProtocol"]) for r in rules}
    clients = ("ingest", "processing", *(("canary",) if config_of(stack_plan).canary.enabled else ()))
    expected = {(groups[tier], port, port, "tcp") for tier in clients for port in (9098, 9094)}
    assert admitted == expected
    # Other tiers may admit their own clients (the DR Replicator), never an address range.
    on_kafka = [r.inputs for r in stack_plan.of_type(INGRESS) if r.inputs["securityGroupId"] == groups["kafka"]]
    assert all(r.get("referencedSecurityGroupId") and "cidrIpv4" not in r and "cidrIpv6" not in r for r in on_kafka)


def test_prod_protects_the_cluster_and_topics(stack_plan: StackPlan) -> None:
    prod = config_of(stack_plan).tier == "prod"
    assert stack_plan.one(CLUSTER).protect is prod
    # The workload's topics; the RPO canary's topic holds nothing worth keeping.
    assert all(topic.protect is prod for topic in stack_plan.of_type(TOPIC) if topic.name.startswith("kafka-topic-"))
    assert stack_plan.one(CONFIGURATION).protect is False


def test_topics_are_declared_with_the_planned_partitions(stack_plan: StackPlan) -> None:
    config = config_of(stack_plan)
    # The workload's topics; the RPO canary declares its own (infra/components/canary.py).
    topics = {t.inputs["name"]: t for t in stack_plan.of_type(TOPIC) if t.name.startswith("kafka-topic-")}
    assert set(topics) == set(config.workload.topics) == set(stack_plan.outputs["kafkaTopics"])
    for plan in kafka_plan.plan_topics(config.workload, config.network.az_count):
        topic = topics[plan.name]
        assert int(topic.inputs["partitionCount"]) == plan.partitions
        assert int(topic.inputs["replicationFactor"]) == config.workload.replication_factor
        assert topic.inputs["clusterArn"] == stack_plan.outputs["kafkaClusterArn"]
        assert stack_plan.outputs["kafkaTopics"][plan.name]["deadLetter"] is plan.name.endswith("-dlq")
    assert sum(int(t.inputs["partitionCount"]) for t in topics.values()) == config.workload.partitions


def test_topic_arns_follow_the_msk_iam_resource_format(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    uuid = outputs["kafkaClusterUuid"]
    for topic, spec in outputs["kafkaTopics"].items():
        assert spec["arn"] == (
            f"arn:aws:kafka:{stack_plan.region}:{outputs['accountId']}:topic/{outputs['kafkaClusterName']}/{uuid}/{topic}"
        )


def test_stack_outputs_for_runbooks_and_clients(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    for key in (
        "kafkaClusterArn",
        "kafkaClusterName",
        "kafkaBootstrapBrokersIam",
        "kafkaVersion",
        "kafkaSizing",
        "kafkaTopics",
        "kafkaConfigurationArn",
        "kafkaSecurityGroupId",
        "kafkaLogGroupName",
    ):
        assert outputs.get(key) not in (None, ""), key
    brokers = outputs["kafkaBootstrapBrokersIam"].split(",")
    assert brokers and all(b.endswith(":9098") for b in brokers)
    assert outputs["kafkaClusterArn"] == stack_plan.one(CLUSTER).outputs["arn"]


def test_scram_adds_a_secret_its_association_and_its_port(plan_with: Callable[..., StackPlan]) -> None:
    plan = plan_with("staging", {"kafka": {"scram": True}})
    outputs = plan.outputs
    (secret,) = plan.of_type(SECRET)
    (version,) = plan.of_type(SECRET_VERSION)
    (association,) = plan.of_type(SCRAM_ASSOCIATION)
    assert secret.inputs["name"].startswith("AmazonMSK_")
    assert secret.inputs["kmsKeyId"] == outputs["kmsKeyArn"]
    assert version.inputs["secretString"] == runtime.SECRET
    assert version.ignore_changes == ("secretString",)
    assert association.inputs == {"clusterArn": outputs["kafkaClusterArn"], "secretArn": secret.outputs["arn"]}
    assert version.urn in association.dependencies
    assert plan.one(CLUSTER).inputs["clientAuthentication"]["sasl"] == {"iam": True, "scram": True}
    properties = kafka_plan.parse_properties(plan.one(CONFIGURATION).inputs["serverProperties"])
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    kafka_sg = outputs["securityGroupIds"]["kafka"]
    ports = {
        int(r.inputs["fromPort"]) for r in kafka_resources(plan, INGRESS) if r.inputs["securityGroupId"] == kafka_sg
    }
    assert ports == {9094, 9096, 9098}
    assert outputs["kafkaScramSecretArn"] == secret.outputs["arn"]
    assert all(b.endswith(":9096") for b in outputs["kafkaBootstrapBrokersScram"].split(","))


def test_without_scram_there_is_no_secret(stack_plan: StackPlan) -> None:
    assert kafka_resources(stack_plan, SECRET) == []
    assert "kafkaScramSecretArn" not in stack_plan.outputs
    assert "allow.everyone.if.no.acl.found" not in stack_plan.one(CONFIGURATION).inputs["serverProperties"]


def test_explicit_sizing_with_provisioned_throughput(plan_with: Callable[..., StackPlan]) -> None:
    explicit = {
        "sizing": "explicit",
        "instanceType": "kafka.m7g.4xlarge",
        "brokers": 3,
        "volumeGib": 6000,
        "volumeThroughputMbps": 500,
    }
    plan = plan_with("staging", {"kafka": explicit})
    storage = at_path(plan.one(CLUSTER).inputs, "brokerNodeGroupInfo.storageInfo.ebsStorageInfo")
    assert storage == {"volumeSize": 6000, "provisionedThroughput": {"enabled": True, "volumeThroughput": 500}}
    sized = plan.outputs["kafkaSizing"]
    assert sized["mode"] == "explicit" and sized["instanceType"] == "kafka.m7g.4xlarge" and sized["brokers"] == 3
    assert sized["volumeThroughputMibps"] == 500


def test_topic_and_group_arn_helpers(plan_with: Callable[..., StackPlan]) -> None:
    plan = plan_with(
        "dev",
        {},
        lambda kafka: {"testGroupArn": kafka.group_arn("sp-dev-spark*"), "testTopicArn": kafka.topic_arn("events")},
    )
    outputs = plan.outputs
    prefix = f"arn:aws:kafka:eu-west-1:{outputs['accountId']}"
    assert outputs["testGroupArn"] == f"{prefix}:group/sp-dev-kafka/{outputs['kafkaClusterUuid']}/sp-dev-spark*"
    assert outputs["testTopicArn"] == outputs["kafkaTopics"]["events"]["arn"]


def test_warm_standby_pairs_open_multi_vpc_iam_for_the_replicator(stack_plan: StackPlan) -> None:
    connectivity = stack_plan.one(CLUSTER).inputs["brokerNodeGroupInfo"].get("connectivityInfo")
    if config_of(stack_plan).dr.strategy == "warm-standby":
        assert connectivity == {"vpcConnectivity": {"clientAuthentication": {"sasl": {"iam": True}}}}
    else:
        assert connectivity is None


def test_multi_vpc_is_on_for_prod_and_its_standby_only(plans: dict[str, StackPlan]) -> None:
    opened = {
        name for name, plan in plans.items() if "connectivityInfo" in plan.one(CLUSTER).inputs["brokerNodeGroupInfo"]
    }
    assert opened == {"prod", "prod-dr"}


def test_cluster_waits_for_the_logs_bucket_policy(stack_plan: StackPlan) -> None:
    """MSK validates its S3 log-delivery grant at create time, so the policy must exist first."""
    cluster = stack_plan.one("aws:msk/cluster:Cluster")
    [policy] = [p for p in stack_plan.of_type("aws:s3/bucketPolicy:BucketPolicy") if p.name == "storage-logs-policy"]
    assert policy.urn in cluster.dependencies
