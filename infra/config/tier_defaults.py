"""Defaults per environment tier: the one place that says how dev, staging and prod differ.

Keys are the stack-file (camelCase) keys, so a stack file and these defaults merge as
plain mappings: the stack file wins key by key, lists are replaced, not appended.
Stack files therefore carry only what is specific to them (region, CIDR, owner, ...).
"""

from __future__ import annotations

from typing import Any

_COMMON_ENDPOINTS = ["sts", "kms", "logs", "secretsmanager", "ecr.api", "ecr.dkr"]

TIER_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "network": {
            "azCount": 2,
            "natGateways": "single",
            "interfaceEndpoints": _COMMON_ENDPOINTS,
            "flowLogRetentionDays": 14,
        },
        "kms": {"deletionWindowDays": 7},
        "workload": {
            "ingressMbps": 2,
            "peakFactor": 2,
            "retentionHours": 24,
            "replicationFactor": 2,
            "consumerGroups": 1,
            "partitions": 24,
        },
        "kafka": {
            "kafkaVersion": "3.8.x",
            "sizing": "workload",
            "enhancedMonitoring": "DEFAULT",
            "logRetentionDays": 7,
            "storageAutoscaling": {"enabled": False},
        },
        "cache": {
            "engineVersion": "8.2",
            "nodeType": "cache.t4g.small",
            "shards": 1,
            "replicasPerShard": 1,
            "snapshotRetentionDays": 1,
            "logRetentionDays": 7,
        },
        "ingest": {
            "image": "docker.redpanda.com/redpandadata/connect:4.38.0",
            "cpu": 512,
            "memoryMib": 1024,
            "minTasks": 1,
            "maxTasks": 2,
            "logRetentionDays": 7,
        },
        "edge": {"nlb": False},
        "spark": {
            "releaseLabel": "emr-7.13.0",
            "primaryInstanceType": "m7g.xlarge",
            "primaryCount": 1,
            "coreInstanceTypes": ["m7g.xlarge", "m6g.xlarge"],
            "coreCapacity": 1,
            "taskInstanceTypes": ["m7g.xlarge", "m6g.xlarge", "m5.xlarge"],
            "taskMaxCapacity": 2,
            "managedScalingMax": 3,
            "inTransitEncryption": False,
            "idleTimeoutMinutes": 120,
        },
        "storage": {"lakeIaAfterDays": 30, "logsExpireDays": 30, "noncurrentExpireDays": 7},
        "canary": {"enabled": False, "logRetentionDays": 7},
        "dr": {"strategy": "none"},
    },
    "staging": {
        "network": {
            "azCount": 3,
            "natGateways": "per-az",
            "interfaceEndpoints": [*_COMMON_ENDPOINTS, "monitoring"],
            "flowLogRetentionDays": 30,
        },
        "kms": {"deletionWindowDays": 14},
        "workload": {
            "ingressMbps": 20,
            "peakFactor": 2,
            "retentionHours": 24,
            "replicationFactor": 3,
            "consumerGroups": 2,
            "partitions": 96,
        },
        "kafka": {
            "kafkaVersion": "3.8.x",
            "sizing": "workload",
            "enhancedMonitoring": "PER_BROKER",
            "logRetentionDays": 30,
        },
        "cache": {
            "engineVersion": "8.2",
            "nodeType": "cache.r7g.large",
            "shards": 2,
            "replicasPerShard": 1,
            "snapshotRetentionDays": 7,
            "logRetentionDays": 30,
        },
        "ingest": {
            "image": "docker.redpanda.com/redpandadata/connect:4.38.0",
            "cpu": 1024,
            "memoryMib": 2048,
            "minTasks": 3,
            "maxTasks": 6,
            "logRetentionDays": 30,
        },
        "edge": {},
        "spark": {
            "releaseLabel": "emr-7.13.0",
            "primaryInstanceType": "m7g.xlarge",
            "primaryCount": 1,
            "coreInstanceTypes": ["r7g.xlarge", "r6g.xlarge"],
            "coreCapacity": 2,
            "taskInstanceTypes": ["r7g.xlarge", "r6g.xlarge", "r5.xlarge"],
            "taskMaxCapacity": 4,
            "managedScalingMax": 6,
            "inTransitEncryption": True,
        },
        "storage": {"lakeIaAfterDays": 60, "logsExpireDays": 90, "noncurrentExpireDays": 30},
        "canary": {"enabled": True, "logRetentionDays": 30},
        "dr": {
            "strategy": "backup-restore",
            "backupRetentionDays": 14,
            "continuousBackupDays": 7,
            "cacheExportRetentionDays": 7,
        },
    },
    "prod": {
        "network": {
            "azCount": 3,
            "natGateways": "per-az",
            "interfaceEndpoints": [
                *_COMMON_ENDPOINTS,
                "monitoring",
                "ssm",
                "elasticmapreduce",
                "kafka",
            ],
            "flowLogRetentionDays": 365,
        },
        "kms": {"deletionWindowDays": 30},
        "workload": {
            "ingressMbps": 100,
            "peakFactor": 2,
            "retentionHours": 24,
            "replicationFactor": 3,
            "consumerGroups": 2,
            "partitions": 600,
        },
        "kafka": {
            "kafkaVersion": "3.8.x",
            "sizing": "workload",
            "enhancedMonitoring": "PER_TOPIC_PER_BROKER",
            "logRetentionDays": 365,
        },
        "cache": {
            "engineVersion": "8.2",
            "nodeType": "cache.r7g.xlarge",
            "shards": 3,
            "replicasPerShard": 2,
            "snapshotRetentionDays": 14,
            "logRetentionDays": 365,
        },
        "ingest": {
            "image": "docker.redpanda.com/redpandadata/connect:4.38.0",
            "cpu": 2048,
            "memoryMib": 4096,
            "minTasks": 3,
            "maxTasks": 24,
            "logRetentionDays": 365,
        },
        "edge": {},
        "spark": {
            "releaseLabel": "emr-7.13.0",
            "primaryInstanceType": "m7g.2xlarge",
            "primaryCount": 3,
            "coreInstanceTypes": ["r7g.2xlarge", "r6g.2xlarge"],
            "coreCapacity": 4,
            "taskInstanceTypes": ["r7g.2xlarge", "r6g.2xlarge", "r5.2xlarge", "r6i.2xlarge"],
            "taskMaxCapacity": 16,
            "managedScalingMax": 20,
            "inTransitEncryption": True,
        },
        "storage": {"lakeIaAfterDays": 90, "logsExpireDays": 365, "noncurrentExpireDays": 90},
        "canary": {"enabled": True, "logRetentionDays": 365},
        "dr": {
            "strategy": "warm-standby",
            "vaultLock": True,
            # Recovery points that survive a compromised account (infra/components/backup.py).
            "isolatedCopy": "air-gapped",
            # Failover by ARC routing controls: data-plane calls to any of the cluster's five
            # regional endpoints, nothing in the failed region (infra/components/failover.py).
            "routingControls": True,
            "backupRetentionDays": 35,
            "continuousBackupDays": 35,
            "cacheExportRetentionDays": 35,
        },
    },
}
