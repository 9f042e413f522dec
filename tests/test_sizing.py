"""The MSK sizing model: AWS's worked example, the data table, and properties of recommend()."""

from __future__ import annotations

import dataclasses
import gzip
import json
import math
import re
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from infra.catalog import sizing
from infra.catalog.sizing import (
    BROKER_SPECS,
    DEFAULT_FILL_TARGET,
    MAX_VOLUME_GIB,
    NON_BURSTABLE_INSTANCE_TYPES,
    PRODUCTION_TARGET,
    SUPPORTED_INSTANCE_TYPES,
    NoClusterFitsError,
    Recommendation,
    SizingError,
    Workload,
    check_cluster,
    cluster_rank,
    evaluate,
    recommend,
)

RAW_DATA = yaml.safe_load(resources.files("infra").joinpath("data/msk_brokers.yaml").read_text())
TOLERANCE = 1e-9
STAGING = Workload(ingress_mbps=20, peak_factor=2, retention_hours=72, consumer_groups=2, partitions=96)

# ---------------------------------------------------------------- AWS's worked example


def test_aws_worked_example_gives_1000_limit_and_800_target() -> None:
    """3 x m5.12xlarge, r=3, 2 groups, 1000 MB/s volumes (AWS Big Data Blog, Equation 1)."""
    result = evaluate("kafka.m5.12xlarge", 3, 3, 2, volume_throughput_mbps=1000)
    assert result.terms == {"storage": 1000.0, "ebs_network": 1187.5, "ec2_network": 1125.0}
    assert result.sustained_limit_mbps == 1000.0
    assert result.target_mbps == pytest.approx(800.0)
    assert result.limiting_term == "storage"


def test_same_cluster_at_default_throughput_is_storage_bound_at_250() -> None:
    result = evaluate("kafka.m5.12xlarge", 3, 3, 2)
    assert result.storage_throughput_mbps == 250
    assert result.sustained_limit_mbps == 250.0
    assert not result.provisioned_throughput


def test_egress_term_counts_consumer_groups_and_replica_fetches() -> None:
    # m7g.xlarge: 234.5 MB/s baseline network; 6 brokers, r=3, 4 groups -> 6 copies out.
    result = evaluate("kafka.m7g.xlarge", 6, 3, 4)
    assert result.terms["ec2_network"] == pytest.approx(234.5 * 6 / 6)
    assert result.limiting_term == "ec2_network"


def test_no_egress_copies_leaves_the_network_term_unbounded() -> None:
    result = evaluate("kafka.m5.large", 3, 1, 0)
    assert math.isinf(result.terms["ec2_network"])
    assert result.to_dict()["terms"]["ec2_network"] is None
    assert math.isfinite(result.sustained_limit_mbps)


@given(
    instance_type=st.sampled_from(sorted(SUPPORTED_INSTANCE_TYPES)),
    brokers=st.integers(1, 30),
    replication_factor=st.integers(1, 4),
    consumer_groups=st.integers(0, 10),
)
def test_limit_is_the_smallest_term_and_scales_with_brokers(
    instance_type: str, brokers: int, replication_factor: int, consumer_groups: int
) -> None:
    assume(brokers >= replication_factor)
    single = evaluate(instance_type, brokers, replication_factor, consumer_groups)
    double = evaluate(instance_type, 2 * brokers, replication_factor, consumer_groups)
    assert single.sustained_limit_mbps == min(single.terms.values())
    assert single.terms[single.limiting_term] == single.sustained_limit_mbps
    assert single.target_mbps == pytest.approx(PRODUCTION_TARGET * single.sustained_limit_mbps)
    assert double.sustained_limit_mbps == pytest.approx(2 * single.sustained_limit_mbps)


# ---------------------------------------------------------------- the data table

EXPECTED_TYPES = {
    "kafka.t3.small",
    *(
        f"kafka.m5.{size}"
        for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
    ),
    *(f"kafka.m7g.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
}


def test_table_covers_exactly_the_msk_standard_broker_sizes() -> None:
    assert SUPPORTED_INSTANCE_TYPES == EXPECTED_TYPES
    assert {"kafka.t3.small"} | NON_BURSTABLE_INSTANCE_TYPES == EXPECTED_TYPES
    assert "kafka.t3.small" not in NON_BURSTABLE_INSTANCE_TYPES


def _describe_instance_types_snapshot() -> dict[str, Any]:
    """EC2 DescribeInstanceTypes output as shipped with moto (an independent AWS copy)."""
    path = resources.files("moto.ec2.resources").joinpath("instance_types.json.gz")
    with path.open("rb") as handle:
        data: dict[str, Any] = json.loads(gzip.decompress(handle.read()))
    return data


def test_table_matches_ec2_describe_instance_types() -> None:
    snapshot = _describe_instance_types_snapshot()
    for name, spec in BROKER_SPECS.items():
        ec2 = snapshot[name.removeprefix("kafka.")]
        ebs = ec2["EbsInfo"]["EbsOptimizedInfo"]
        network_gbps = ec2["NetworkInfo"]["NetworkCards"][0]["BaselineBandwidthInGbps"]
        assert spec.vcpu == ec2["VCpuInfo"]["DefaultVCpus"], name
        assert spec.memory_gib == ec2["MemoryInfo"]["SizeInMiB"] / 1024, name
        assert spec.ebs_baseline_mbps == pytest.approx(ebs["BaselineBandwidthInMbps"] / 8, rel=1e-6), name
        assert spec.ebs_baseline_mbps == pytest.approx(ebs["BaselineThroughputInMBps"], rel=1e-4), name
        assert spec.network_baseline_mbps == pytest.approx(network_gbps * 125, rel=1e-6), name


def test_provisioned_throughput_only_on_m5_4xlarge_and_m7g_2xlarge_or_larger() -> None:
    provisionable = {name for name, spec in BROKER_SPECS.items() if spec.provisioned_throughput_max_mbps}
    assert provisionable == {
        "kafka.m5.4xlarge",
        "kafka.m5.8xlarge",
        "kafka.m5.12xlarge",
        "kafka.m5.16xlarge",
        "kafka.m5.24xlarge",
        "kafka.m7g.2xlarge",
        "kafka.m7g.4xlarge",
        "kafka.m7g.8xlarge",
        "kafka.m7g.12xlarge",
        "kafka.m7g.16xlarge",
    }
    for name in provisionable:
        spec = BROKER_SPECS[name]
        assert spec.provisioned_throughput_max_mbps is not None
        # MSK's maximum never exceeds what the instance's EBS link carries, and is 250..1000 MiB/s.
        assert 250 < spec.provisioned_throughput_max_mbps <= min(spec.ebs_baseline_mbps, 1000), name


def test_partition_limits_and_sources_are_complete() -> None:
    assert RAW_DATA["checked"] == "2026-11-26"
    sources = RAW_DATA["sources"]
    assert all(source["url"].startswith("https://") and source["title"] for source in sources.values())
    for field_name, cited in RAW_DATA["field_sources"].items():
        assert cited and set(cited) <= set(sources), field_name
        assert all(field_name in row for row in RAW_DATA["brokers"].values()), field_name
    for spec in BROKER_SPECS.values():
        assert 0 < spec.partitions_recommended <= spec.partitions_max_for_updates


# ---------------------------------------------------------------- storage


def test_volume_is_retention_times_replicas_over_brokers_and_fill_target() -> None:
    workload = Workload(ingress_mbps=10, retention_hours=24, replication_factor=3)
    # 10 MB/s x 86,400 s x 3 / 3 brokers = 864 GB = 804.67 GiB; / 0.60 = 1341.1 -> 1342 GiB.
    assert sizing.retained_gib_per_broker(workload, 3) == pytest.approx(804.6627, rel=1e-6)
    assert DEFAULT_FILL_TARGET == 0.60
    assert sizing.volume_for(workload, 3) == 1342
    # The fill target is one number: a lower one buys proportionally larger volumes.
    assert sizing.volume_for(dataclasses.replace(workload, fill_target=0.5), 3) == 1610


def test_tiny_workload_still_gets_msk_minimum_volume() -> None:
    workload = Workload(ingress_mbps=0.001, retention_hours=1)
    assert sizing.volume_for(workload, 3) == 1


def test_volume_above_msk_maximum_adds_brokers() -> None:
    # 10 MB/s for 30 days at r=3 is 72,420 GiB: at 60% 3 brokers would each need 40,234 GiB and
    # 6 need 20,117 (above 16,384), while 3 of the smallest brokers already carry 10 MB/s.
    workload = Workload(ingress_mbps=10, retention_hours=30 * 24)
    assert sizing.volume_for(workload, 3) > MAX_VOLUME_GIB
    assert evaluate("kafka.t3.small", 3, 3, 1).target_mbps >= workload.peak_ingress_mbps
    result = recommend(workload, 3)
    assert (result.instance_type, result.brokers) == ("kafka.t3.small", 9)
    assert result.volume_gib == math.ceil(sizing.retained_gib_per_broker(workload, 9) / workload.fill_target)
    assert result.volume_gib <= MAX_VOLUME_GIB
    assert any("Retention, not throughput, sets the broker count" in reason for reason in result.reasons)
    assert any("Retention, not throughput, sets the broker count" in reason for reason in result.reasons)


# ---------------------------------------------------------------- recommend: examples


def test_dev_tier_workload_gets_two_small_brokers() -> None:
    dev = Workload(ingress_mbps=2, peak_factor=2, retention_hours=24, replication_factor=2, partitions=24)
    burstable = recommend(dev, 2)
    production = recommend(dev, 2, instance_types=NON_BURSTABLE_INSTANCE_TYPES)
    assert (burstable.instance_type, burstable.brokers) == ("kafka.t3.small", 2)
    assert any("CPU credits" in reason for reason in burstable.reasons)
    assert (production.instance_type, production.brokers) == ("kafka.m7g.large", 2)


def test_storage_bound_big_brokers_get_just_enough_provisioned_throughput() -> None:
    # 20,000 partitions force 4xlarge-class brokers; at 250 MiB/s their volumes cap the cluster.
    workload = Workload(ingress_mbps=1200, retention_hours=1, partitions=20_000)
    result = recommend(workload, 3)
    assert (result.instance_type, result.brokers) == ("kafka.m7g.4xlarge", 15)
    # ceil(1200 MB/s x r=3 / (0.8 x 15 brokers)) = 300 MiB/s per broker.
    assert result.volume_throughput_mbps == 300
    assert result.evaluation.target_mbps >= workload.peak_ingress_mbps * (1 - TOLERANCE)
    default = evaluate(result.instance_type, result.brokers, 3, 1)
    assert default.limiting_term == "storage"
    assert default.target_mbps < workload.peak_ingress_mbps


def test_reasons_name_the_limiting_term_and_the_shortfall_of_fewer_brokers() -> None:
    result = recommend(Workload(ingress_mbps=200, peak_factor=2, retention_hours=72, consumer_groups=2), 3)
    text = "\n".join(result.reasons)
    assert f"set by the {sizing.TERM_LABELS[result.evaluation.limiting_term]} term" in text
    assert f"{result.brokers - 3} brokers would fall short on throughput" in text
    assert "Peak ingress 400.0 MB/s" in text


def test_candidate_list_is_validated() -> None:
    with pytest.raises(SizingError, match="at least one broker type"):
        recommend(STAGING, 3, instance_types=[])
    with pytest.raises(SizingError, match=re.escape("unknown MSK broker type 'kafka.r5.large'")):
        recommend(STAGING, 3, instance_types=["kafka.r5.large"])
    assert recommend(STAGING, 3, instance_types=["kafka.m5.2xlarge"]).instance_type == "kafka.m5.2xlarge"


def test_impossible_workload_raises_with_the_closest_shortfall() -> None:
    with pytest.raises(NoClusterFitsError, match=r"at most 30 brokers.*falls short on: storage"):
        recommend(Workload(ingress_mbps=5000, retention_hours=24), 3)


def test_higher_broker_quota_fits_what_the_default_cannot() -> None:
    # 30 brokers with 1000 MiB/s volumes top out at a 1000 x 30 / 3 x 0.8 = 8000 MB/s target.
    workload = Workload(ingress_mbps=9000, retention_hours=1)
    with pytest.raises(NoClusterFitsError, match="falls short on: throughput"):
        recommend(workload, 3)
    kraft_sized = recommend(workload, 3, max_brokers=60)
    assert 30 < kraft_sized.brokers <= 60
    assert kraft_sized.volume_throughput_mbps is not None


# ---------------------------------------------------------------- recommend: properties

workloads = st.builds(
    Workload,
    ingress_mbps=st.floats(0.01, 2000, allow_nan=False),
    retention_hours=st.floats(0.5, 24 * 30, allow_nan=False),
    peak_factor=st.floats(1, 5, allow_nan=False),
    replication_factor=st.integers(1, 4),
    consumer_groups=st.integers(0, 8),
    partitions=st.none() | st.integers(1, 30_000),
)
az_counts = st.sampled_from(sizing.AZ_COUNTS)


def _recommend_or_none(workload: Workload, az_count: int) -> Recommendation | None:
    try:
        return recommend(workload, az_count)
    except NoClusterFitsError:
        return None


def _fits_at_best(workload: Workload, instance_type: str, brokers: int, az_count: int) -> bool:
    """Whether any volume/throughput setting lets this type and count carry the workload."""
    spec = BROKER_SPECS[instance_type]
    throughput = spec.max_provisionable_mbps
    volume = min(max(sizing.volume_for(workload, brokers), 10 if throughput else 1), MAX_VOLUME_GIB)
    return not check_cluster(workload, instance_type, brokers, volume, az_count, throughput)


@settings(max_examples=150, deadline=None)
@given(workload=workloads, az_count=az_counts)
def test_recommendation_carries_the_workload_within_every_limit(workload: Workload, az_count: int) -> None:
    result = _recommend_or_none(workload, az_count)
    assume(result is not None)
    assert result is not None
    spec = BROKER_SPECS[result.instance_type]
    assert result.brokers % az_count == 0
    assert result.brokers >= workload.replication_factor
    assert workload.peak_ingress_mbps <= result.evaluation.target_mbps * (1 + TOLERANCE)
    assert result.evaluation.target_mbps == pytest.approx(PRODUCTION_TARGET * result.evaluation.sustained_limit_mbps)
    assert 1 <= result.volume_gib <= MAX_VOLUME_GIB
    retained = sizing.retained_gib_per_broker(workload, result.brokers)
    assert retained <= result.volume_gib * workload.fill_target * (1 + TOLERANCE)
    replicas = sizing.replicas_per_broker(workload, result.brokers)
    if replicas is not None:
        assert replicas <= spec.partitions_recommended
    if result.volume_throughput_mbps is not None:
        assert spec.provisioned_throughput_max_mbps is not None
        assert 250 <= result.volume_throughput_mbps <= spec.provisioned_throughput_max_mbps
        default = evaluate(result.instance_type, result.brokers, workload.replication_factor, workload.consumer_groups)
        assert default.limiting_term == "storage"
        assert default.target_mbps < workload.peak_ingress_mbps
        assert result.volume_gib >= 10
    assert (
        check_cluster(
            workload, result.instance_type, result.brokers, result.volume_gib, az_count, result.volume_throughput_mbps
        )
        == []
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(workload=workloads, az_count=az_counts)
def test_no_cheaper_cluster_fits(workload: Workload, az_count: int) -> None:
    """Exhaustive check of optimality: every lower-ranked valid cluster falls short."""
    result = _recommend_or_none(workload, az_count)
    assume(result is not None)
    assert result is not None
    chosen = cluster_rank(result.instance_type, result.brokers)
    for instance_type in SUPPORTED_INSTANCE_TYPES:
        for brokers in sizing.broker_counts(az_count, workload.replication_factor, sizing.DEFAULT_MAX_BROKERS):
            if cluster_rank(instance_type, brokers) < chosen:
                assert not _fits_at_best(workload, instance_type, brokers, az_count), (instance_type, brokers)


heavier_by = st.sampled_from(["ingress_mbps", "retention_hours", "peak_factor", "consumer_groups", "partitions"])


@settings(max_examples=150, deadline=None)
@given(workload=workloads, az_count=az_counts, dimension=heavier_by, growth=st.floats(1.0, 4.0))
def test_more_load_never_recommends_a_cheaper_cluster(
    workload: Workload, az_count: int, dimension: str, growth: float
) -> None:
    """Monotone in cluster_rank: more ingress/retention/peak/groups/partitions never ranks lower."""
    current = getattr(workload, dimension)
    # Counts grow by at least one (an undeclared partition count becomes a declared one).
    heavier_value = math.ceil((current or 1) * growth) + 1 if isinstance(current, int | None) else current * growth
    heavier = dataclasses.replace(workload, **{dimension: heavier_value})
    heavy_result = _recommend_or_none(heavier, az_count)
    assume(heavy_result is not None)
    assert heavy_result is not None
    light_result = _recommend_or_none(workload, az_count)
    assert light_result is not None, "a lighter workload must fit wherever a heavier one does"
    assert cluster_rank(light_result.instance_type, light_result.brokers) <= cluster_rank(
        heavy_result.instance_type, heavy_result.brokers
    )


# ---------------------------------------------------------------- check_cluster


def test_recommended_staging_cluster_passes_its_own_check() -> None:
    result = recommend(STAGING, 3)
    assert check_cluster(STAGING, result.instance_type, result.brokers, result.volume_gib, 3) == []


def test_undersized_explicit_cluster_reports_throughput_storage_and_partitions() -> None:
    heavy = Workload(ingress_mbps=100, retention_hours=24, partitions=2000)
    problems = check_cluster(heavy, "kafka.m5.large", 3, 100, 3)
    assert len(problems) == 3
    throughput, storage, partitions = problems
    assert throughput.startswith("throughput:") and "below the peak ingress 100.0 MB/s" in throughput
    assert storage.startswith("storage:") and "100 GiB volume" in storage
    assert partitions.startswith("partitions:") and "2000 replicas" in partitions
    assert "above the 1500 at which MSK can still apply updates" in partitions


def test_partitions_between_recommended_and_update_limit_are_reported_softly() -> None:
    workload = Workload(ingress_mbps=1, retention_hours=1, partitions=1200)  # 1200 replicas/broker on 3
    (problem,) = check_cluster(workload, "kafka.m7g.large", 3, 100, 3)
    assert "above MSK's recommended 1000" in problem
    assert "can still apply updates up to 1500" in problem


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("kafka.m9.large", 3, 100, 3, None), "unknown MSK broker type 'kafka.m9.large'"),
        (("kafka.m5.large", 4, 100, 3, None), "multiple of the AZ count"),
        (("kafka.m5.large", 2, 100, 2, None), "cannot hold 3 replicas"),
        (("kafka.m5.large", 3, 100, 1, None), "2 or 3 Availability Zones"),
        (("kafka.m5.large", 3, 20_000, 3, None), "at most 16384 GiB"),
        (("kafka.m5.large", 3, 100, 3, 300), "cannot provision storage throughput"),
        (("kafka.m5.4xlarge", 3, 100, 3, 600), "250..593 MiB/s"),
        (("kafka.m7g.2xlarge", 3, 5, 3, 300), "at least 10 GiB"),
    ],
)
def test_settings_msk_would_reject_raise(arguments: tuple[str, int, int, int, int | None], message: str) -> None:
    instance_type, brokers, volume_gib, az_count, throughput = arguments
    with pytest.raises(SizingError, match=re.escape(message)):
        check_cluster(STAGING, instance_type, brokers, volume_gib, az_count, throughput)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ingress_mbps": -5}, "ingress_mbps must be > 0"),
        ({"ingress_mbps": math.nan}, "ingress_mbps must be a finite number"),
        ({"retention_hours": 0}, "retention_hours must be > 0"),
        ({"peak_factor": 0.5}, "peak_factor must be >= 1"),
        ({"replication_factor": 0}, "replication_factor must be a whole number >= 1"),
        ({"consumer_groups": -1}, "consumer_groups must be a whole number >= 0"),
        ({"partitions": 0}, "partitions must be a whole number >= 1"),
    ],
)
def test_invalid_workload_is_rejected_with_its_field_name(fields: dict[str, float], message: str) -> None:
    arguments: dict[str, Any] = {"ingress_mbps": 10, "retention_hours": 24, **fields}
    with pytest.raises(SizingError, match=re.escape(message)):
        Workload(**arguments)
