"""Rules for the EMR cluster and its job: release and jars that fit it, fleets, scaling, TLS, job start.

EMR rejects most of these only after the cluster has been provisioning for minutes (or the
job fails at its first micro-batch), so they are caught here, per stack file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from infra.catalog.artifacts import CatalogError, load_catalog
from infra.catalog.emr_releases import emr_releases
from infra.config.problems import Problem, error
from infra.config.schema import SparkConfig, StackConfig

# "You can specify up to 30 instance types per fleet when you use an allocation strategy"
# (Amazon EMR Management Guide, "Planning and configuring instance fleets", checked 2026-11-26).
MAX_TYPES_PER_FLEET = 30
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[0-9]*[a-z0-9]+$")
_CERTIFICATES_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\.zip$")


def check(config: StackConfig) -> Iterator[Problem]:
    spark = config.spark
    if config.tier == "prod" and spark.primary_count != 3:
        yield error("spark.primaryCount", spark.primary_count, "prod runs 3 primary nodes for HA (allowed: 3)")
    if config.tier == "prod" and spark.idle_timeout_minutes is not None:
        yield error(
            "spark.idleTimeoutMinutes",
            spark.idle_timeout_minutes,
            "prod runs a streaming job: no idle auto-termination",
        )
    if config.tier == "prod" and not spark.in_transit_encryption:
        yield error("spark.inTransitEncryption", False, "prod encrypts traffic between nodes (allowed: true)")
    yield from _release(spark)
    yield from _fleets(spark)
    yield from _scaling(spark)
    yield from _tls(spark)
    yield from _job(config)


def _release(spark: SparkConfig) -> Iterator[Problem]:
    releases = emr_releases()
    release = releases.get(spark.release_label)
    if release is None:
        yield error("spark.releaseLabel", spark.release_label, f"documented EMR releases: {', '.join(releases)}")
        return
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        yield error("spark.releaseLabel", spark.release_label, f"cannot check the job's jars: {exc}")
        return
    if (release.upstream_spark, release.scala_binary) != (catalog.spark_version, catalog.scala_binary):
        yield error(
            "spark.releaseLabel",
            spark.release_label,
            f"ships Spark {release.spark} (Scala {release.scala_binary}) but the job's jars in "
            f"infra/data/spark_jars.yaml are for Spark {catalog.spark_version} (Scala {catalog.scala_binary}); "
            "pick a matching release or update the jars",
        )


def _fleets(spark: SparkConfig) -> Iterator[Problem]:
    fleets = (
        ("spark.primaryInstanceType", (spark.primary_instance_type,)),
        ("spark.coreInstanceTypes", spark.core_instance_types),
        ("spark.taskInstanceTypes", spark.task_instance_types),
    )
    for key, types in fleets:
        malformed = [t for t in types if not _INSTANCE_TYPE.match(t)]
        if malformed:
            yield error(key, list(types), f"not EC2 instance types (like r7g.xlarge): {', '.join(malformed)}")
        if len(set(types)) != len(types):
            yield error(key, list(types), "each instance type may appear once per fleet")
        if len(types) > MAX_TYPES_PER_FLEET:
            yield error(key, list(types), f"at most {MAX_TYPES_PER_FLEET} instance types per fleet")
    if not spark.core_instance_types:
        yield error("spark.coreInstanceTypes", [], "the core fleet needs at least one instance type")
    if spark.task_max_capacity > 0 and not spark.task_instance_types:
        yield error("spark.taskInstanceTypes", [], "spark.taskMaxCapacity > 0 needs at least one task instance type")


def _scaling(spark: SparkConfig) -> Iterator[Problem]:
    """Managed scaling keeps core at coreCapacity (on-demand) and grows only the spot task fleet."""
    expected = spark.core_capacity + spark.task_max_capacity
    if spark.managed_scaling_max != expected:
        yield error(
            "spark.managedScalingMax",
            spark.managed_scaling_max,
            f"must equal spark.coreCapacity + spark.taskMaxCapacity ({spark.core_capacity} + "
            f"{spark.task_max_capacity} = {expected}): the scaler adds task units only",
        )


def _tls(spark: SparkConfig) -> Iterator[Problem]:
    uri = spark.tls_certificates_s3_uri
    if uri is None:
        return
    if not spark.in_transit_encryption:
        yield error("spark.tlsCertificatesS3Uri", uri, "only used with spark.inTransitEncryption: true")
    if not _CERTIFICATES_URI.match(uri):
        yield error("spark.tlsCertificatesS3Uri", uri, "must be s3://<bucket>/<key>.zip (a zip of the PEM files)")


def _job(config: StackConfig) -> Iterator[Problem]:
    spark = config.spark
    if spark.starting_timestamp is not None and parse_starting_timestamp(spark.starting_timestamp) is None:
        yield error(
            "spark.startingTimestamp",
            spark.starting_timestamp,
            "must be an ISO-8601 time with a UTC offset, e.g. 2026-11-26T10:00:00Z",
        )
    if spark.run_job and config.cache.auth != "iam":
        yield error(
            "cache.auth",
            config.cache.auth,
            "the streaming job authenticates to the cache with IAM only (set cache.auth: iam, or spark.runJob: false)",
        )


def parse_starting_timestamp(text: str) -> dt.datetime | None:
    """The DR rewind point, or None unless it is ISO-8601 with an offset (a zone guess could skip hours)."""
    iso = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        parsed = dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
