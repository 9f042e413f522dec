"""Rules for the MSK cluster: version, AZs, sizing (explicit or from the workload), storage scaling.

Explicit clusters too small for the declared workload are errors in staging and prod and a
warning in dev (a dev cluster may be deliberately undersized); settings MSK itself would
reject are errors everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from infra.catalog import msk, sizing
from infra.config import clock
from infra.config.kafka_sizing import resolve_sizing
from infra.config.problems import Problem, error, warning
from infra.config.schema import StackConfig

EXPLICIT_ONLY = (
    ("instanceType", "instance_type"),
    ("brokers", "brokers"),
    ("volumeGib", "volume_gib"),
    ("volumeThroughputMbps", "volume_throughput_mbps"),
)


def check(config: StackConfig) -> Iterator[Problem]:
    kafka, azs = config.kafka, config.network.az_count
    rf = config.workload.replication_factor
    version_message = msk.version_problem(kafka.kafka_version, clock.today())
    if version_message:
        yield error("kafka.kafkaVersion", kafka.kafka_version, version_message)
    if config.tier == "prod" and rf < 3:
        yield error("workload.replicationFactor", rf, "prod needs 3 or more replicas (allowed: 3..5)")
    if azs not in msk.MSK_AZ_COUNTS:
        allowed = " or ".join(map(str, msk.MSK_AZ_COUNTS))
        yield error("network.azCount", azs, f"MSK places brokers in {allowed} AZs (client subnets in distinct AZs)")
        return  # sizing needs a cluster MSK can place
    if kafka.sizing == "explicit":
        yield from _explicit(config)
    else:
        yield from _from_workload(config)


def _explicit(config: StackConfig) -> Iterator[Problem]:
    kafka, azs, rf = config.kafka, config.network.az_count, config.workload.replication_factor
    shape_errors = []
    for key, value in (
        ("instanceType", kafka.instance_type),
        ("brokers", kafka.brokers),
        ("volumeGib", kafka.volume_gib),
    ):
        if value is None:
            shape_errors.append(error(f"kafka.{key}", None, "required when kafka.sizing is 'explicit'"))
    if kafka.instance_type is not None and kafka.instance_type not in sizing.SUPPORTED_INSTANCE_TYPES:
        allowed = ", ".join(sorted(sizing.SUPPORTED_INSTANCE_TYPES))
        shape_errors.append(
            error("kafka.instanceType", kafka.instance_type, f"not an MSK Standard broker size; allowed: {allowed}")
        )
    if kafka.brokers is not None:
        if kafka.brokers % azs:
            shape_errors.append(error("kafka.brokers", kafka.brokers, f"must be a multiple of network.azCount ({azs})"))
        if kafka.brokers < rf:
            shape_errors.append(
                error("kafka.brokers", kafka.brokers, f"must be at least workload.replicationFactor ({rf})")
            )
    yield from shape_errors
    if shape_errors:
        return
    # Known types only reach here, so "not non-burstable" means burstable (T3).
    if config.tier == "prod" and kafka.instance_type not in sizing.NON_BURSTABLE_INSTANCE_TYPES:
        yield error(
            "kafka.instanceType", kafka.instance_type, "prod runs on non-burstable brokers (kafka.m5.* or kafka.m7g.*)"
        )
    try:
        planned = resolve_sizing(config)
    except sizing.SizingError as problem:
        yield error("kafka.sizing", kafka.sizing, f"MSK would reject the explicit cluster: {problem}")
        return
    report = error if config.tier in ("staging", "prod") else warning
    for shortfall in planned.problems:
        yield report(
            "kafka.brokers", kafka.brokers, f"explicit cluster cannot carry the declared workload: {shortfall}"
        )
    yield from _storage_autoscaling(config, planned.volume_gib)


def _from_workload(config: StackConfig) -> Iterator[Problem]:
    kafka = config.kafka
    for key, attribute in EXPLICIT_ONLY:
        value = getattr(kafka, attribute)
        if value is not None:
            yield error(f"kafka.{key}", value, "only with kafka.sizing 'explicit'; 'workload' sizes the cluster itself")
    try:
        planned = resolve_sizing(config)
    except sizing.SizingError as problem:
        yield error(
            "workload.ingressMbps", config.workload.ingress_mbps, f"no MSK cluster fits the workload: {problem}"
        )
        return
    yield from _storage_autoscaling(config, planned.volume_gib)


def _storage_autoscaling(config: StackConfig, volume_gib: int) -> Iterator[Problem]:
    scaling = config.kafka.storage_autoscaling
    fill, alarm = config.kafka.disk_fill_percent, config.observability.msk_disk_used_percent
    if alarm <= fill:
        yield error(
            "observability.mskDiskUsedPercent",
            alarm,
            f"must be above kafka.diskFillPercent ({fill}): full retention fills the disks to {fill}%, "
            "so the disk alarm would fire in steady state",
        )
    if scaling.enabled and scaling.max_volume_gib < volume_gib:
        yield error(
            "kafka.storageAutoscaling.maxVolumeGib",
            scaling.max_volume_gib,
            f"below the {volume_gib} GiB per broker the cluster starts with (allowed: {volume_gib}..{sizing.MAX_VOLUME_GIB})",
        )
