"""The EMR side of the processing tier, as plain data: fleets, scaling limits, security configuration, the job's step.

Pure functions of the Spark config (no resources): ``infra/components/spark.py`` turns them
into the cluster, and the cost model and ``blueprint plan`` read the same figures.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from infra.config.schema import SparkConfig
from infra.naming import Naming
from infra.paths import TEMPLATES as TEMPLATES_DIR

if TYPE_CHECKING:
    import pulumi


# The job needs Python 3.11 (jobs/README.md); EMR 7.x nodes (Amazon Linux 2023) carry
# /usr/bin/python3.11 beside the default python3 (3.9), selected through spark-env
# (Amazon EMR release guide, EMR 7.x application versions; checked 2026-11-26; confirm on the
# first real cluster: `python3.11 --version` on a node).
NODE_PYTHON = "/usr/bin/python3.11"
SITE_DIR = "/usr/local/lib/streaming-job/python"
DRIVER_ATTEMPTS = 4
# A stateful query keeps the shuffle partition count of its first run in its checkpoint
# (Spark Structured Streaming guide, "Recovery semantics"): fixed here, changed only with a
# new job generation (a new checkpoint).
SHUFFLE_PARTITIONS = 48
PRIMARY_EBS_GIB = 64
SPOT_TIMEOUT_MINUTES = 10
# A fleet needs TargetSpotCapacity or TargetOnDemandCapacity above 0 (EMR API reference,
# "InstanceFleetConfig", checked 2026-11-26): the task fleet starts at one spot unit.
TASK_SPOT_INITIAL = 1
COMMAND_RUNNER = "command-runner.jar"
JOB_NAME = "streaming-job"


@dataclass(frozen=True)
class KafkaAccess:
    """What the job needs from MSK: brokers, and the ARNs its IAM policy is scoped to."""

    bootstrap_brokers: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    group_arn: pulumi.Input[str]
    """ARN pattern of the job's consumer groups (its group-id prefix followed by ``*``)."""


@dataclass(frozen=True)
class CacheAccess:
    """What the job needs from the cache: its endpoint and the IAM user it connects as."""

    endpoint: pulumi.Input[str]
    port: int
    replication_group_id: str
    replication_group_arn: pulumi.Input[str]
    user_id: str
    user_arn: pulumi.Input[str]


@dataclass(frozen=True)
class JobLocations:
    """S3 locations the step passes: code, jars, checkpoint, lake and dead letters."""

    entry: str
    package: str
    jars: tuple[str, ...]
    checkpoint_root: str
    lake: str
    dead_letter: str


def _type_configs(types: Sequence[str], ebs_gib: int, spot: bool) -> list[dict[str, Any]]:
    """One entry per instance type, each with a gp3 volume; spot bids capped at the on-demand price."""
    configs = []
    for instance_type in types:
        config: dict[str, Any] = {
            "instance_type": instance_type,
            "weighted_capacity": 1,
            "ebs_configs": [{"size": ebs_gib, "type": "gp3", "volumes_per_instance": 1}],
        }
        if spot:
            config["bid_price_as_percentage_of_on_demand_price"] = 100
        configs.append(config)
    return configs


def primary_fleet(cfg: SparkConfig) -> dict[str, Any]:
    return {
        "name": "primary",
        "target_on_demand_capacity": cfg.primary_count,
        "instance_type_configs": _type_configs([cfg.primary_instance_type], PRIMARY_EBS_GIB, spot=False),
    }


def core_fleet(cfg: SparkConfig) -> dict[str, Any]:
    """On-demand only: core nodes hold HDFS and the YARN application masters (the driver)."""
    return {
        "name": "core",
        "target_on_demand_capacity": cfg.core_capacity,
        "target_spot_capacity": 0,
        "instance_type_configs": _type_configs(cfg.core_instance_types, cfg.ebs_volume_gib, spot=False),
        "launch_specifications": {"on_demand_specifications": [{"allocation_strategy": "lowest-price"}]},
    }


def task_fleet(cfg: SparkConfig) -> dict[str, Any]:
    """Spot executors only, started at one unit: managed scaling owns the size from then on; spot
    shortage falls back to on-demand."""
    return {
        "target_on_demand_capacity": 0,
        "target_spot_capacity": TASK_SPOT_INITIAL,
        "instance_type_configs": _type_configs(cfg.task_instance_types, cfg.ebs_volume_gib, spot=True),
        "launch_specifications": {
            "spot_specifications": [
                {
                    "allocation_strategy": "price-capacity-optimized",
                    "timeout_action": "SWITCH_TO_ON_DEMAND",
                    "timeout_duration_minutes": SPOT_TIMEOUT_MINUTES,
                }
            ],
            "on_demand_specifications": [{"allocation_strategy": "lowest-price"}],
        },
    }


def task_on_demand_units(cfg: SparkConfig) -> int:
    """Task units managed scaling may launch on-demand: spark.taskOnDemandPercent of the task fleet's
    maximum, rounded up so any share above 0 allows at least one unit."""
    return math.ceil(cfg.task_max_capacity * cfg.task_on_demand_percent / 100)


def managed_scaling_limits(cfg: SparkConfig) -> dict[str, Any]:
    """Core stays at its on-demand size; the scaler grows the task fleet, spot first.

    MaximumOnDemandCapacityUnits is the upper boundary of on-demand units across core AND task
    nodes, the split between on-demand and spot ("ComputeLimits",
    https://docs.aws.amazon.com/emr/latest/APIReference/API_ComputeLimits.html; how scale-out uses
    it: EMR Management Guide, "Understanding Amazon EMR node allocation strategy and scenarios",
    https://docs.aws.amazon.com/emr/latest/ManagementGuide/managed-scaling-allocation-strategy.html;
    both checked 2026-12-02). Equal to the core fleet, it leaves no on-demand unit for the task
    fleet, so a spot shortage blocks every scale-out; the cap adds spark.taskOnDemandPercent of the
    task units, the room the task fleet's SWITCH_TO_ON_DEMAND timeout falls back into.
    """
    return {
        "unit_type": "InstanceFleetUnits",
        "minimum_capacity_units": cfg.core_capacity,
        "maximum_capacity_units": cfg.managed_scaling_max,
        "maximum_ondemand_capacity_units": cfg.core_capacity + task_on_demand_units(cfg),
        "maximum_core_capacity_units": cfg.core_capacity,
    }


def fleets_summary(cfg: SparkConfig) -> dict[str, Any]:
    """What `blueprint plan` shows about the fleets (and what the cost model prices)."""
    return {
        "primary": {"instanceTypes": [cfg.primary_instance_type], "onDemand": cfg.primary_count},
        "core": {
            "instanceTypes": list(cfg.core_instance_types),
            "onDemand": cfg.core_capacity,
            "ebsGib": cfg.ebs_volume_gib,
        },
        "task": {
            "instanceTypes": list(cfg.task_instance_types),
            "spotInitial": TASK_SPOT_INITIAL,
            "spotMax": cfg.task_max_capacity,
            "allocationStrategy": "price-capacity-optimized",
            "onSpotTimeout": "SWITCH_TO_ON_DEMAND",
        },
    }


def security_configuration(key_arn: str, in_transit: bool, certificates_uri: str) -> dict[str, Any]:
    """EMR security configuration JSON ("Create a security configuration", Amazon EMR Management Guide)."""
    encryption: dict[str, Any] = {
        "EnableAtRestEncryption": True,
        "EnableInTransitEncryption": in_transit,
        "AtRestEncryptionConfiguration": {
            "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": key_arn},
            "LocalDiskEncryptionConfiguration": {
                "EncryptionKeyProviderType": "AwsKms",
                "AwsKmsKey": key_arn,
                "EnableEbsEncryption": True,
            },
        },
    }
    if in_transit:
        encryption["InTransitEncryptionConfiguration"] = {
            "TLSCertificateConfiguration": {"CertificateProviderType": "PEM", "S3Object": certificates_uri}
        }
    return {
        "EncryptionConfiguration": encryption,
        "InstanceMetadataServiceConfiguration": {
            "MinimumInstanceMetadataServiceVersion": 2,
            "HttpPutResponseHopLimit": 2,
        },
    }


def group_id_prefix(naming: Naming) -> str:
    """Prefix of the job's Kafka consumer groups: the IAM policy grants exactly ``<prefix>*``."""
    return naming(JOB_NAME)


def job_step(
    cfg: SparkConfig,
    locations: JobLocations,
    *,
    bootstrap_brokers: str,
    topic: str,
    region: str,
    group_id_prefix: str,
    cache_host: str,
    cache: CacheAccess,
) -> dict[str, Any]:
    """The EMR step running the job (cluster deploy mode: YARN restarts a failed driver); see jobs/README.md for the arguments."""
    starting = (
        ["--starting-timestamp", cfg.starting_timestamp]
        if cfg.starting_timestamp
        else ["--starting-offsets", cfg.starting_offsets]
    )
    job_args = [
        "--bootstrap-servers",
        bootstrap_brokers,
        "--topic",
        topic,
        *starting,
        "--generation",
        str(cfg.job_generation),
        "--checkpoint-root",
        locations.checkpoint_root,
        "--lake-path",
        locations.lake,
        "--dead-letter-path",
        locations.dead_letter,
        "--region",
        region,
        "--group-id-prefix",
        group_id_prefix,
        "--cache-host",
        cache_host,
        "--cache-port",
        str(cache.port),
        "--cache-tls",
        "--cache-auth",
        "iam",
        "--cache-user-id",
        cache.user_id,
        "--cache-name",
        cache.replication_group_id,
        "--cache-cluster-mode",
    ]
    submit = [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--master",
        "yarn",
        "--name",
        f"{JOB_NAME}-g{cfg.job_generation}",
        "--jars",
        ",".join(locations.jars),
        "--py-files",
        locations.package,
        locations.entry,
    ]
    return {
        "name": f"{JOB_NAME} generation {cfg.job_generation}",
        "actionOnFailure": "CONTINUE",
        "jar": COMMAND_RUNNER,
        "args": [*submit, *job_args],
    }


def templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["quote_shell"] = shlex.quote
    return environment


def render_configurations() -> str:
    """EMR configurations (spark-defaults, spark-env, yarn-site) as compact, key-sorted JSON."""
    text = (
        templates()
        .get_template("emr/configurations.json.j2")
        .render(
            python=NODE_PYTHON,
            site_dir=SITE_DIR,
            driver_attempts=DRIVER_ATTEMPTS,
            shuffle_partitions=SHUFFLE_PARTITIONS,
        )
    )
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
