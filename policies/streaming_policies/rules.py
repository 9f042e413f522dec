"""Resource rules: pure checks of one resource's camelCase properties.

Each check takes ``(resource_type, props, context)`` and returns violation messages (empty
when the resource complies). A message names the property path and says why it matters,
so the person reading a failed preview knows what to change. Absent optional inputs are
judged by the AWS/provider default (quoted where the rule relies on it); unknown values
during a preview pass and are checked again at `pulumi up`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from streaming_policies import tokens
from streaming_policies.model import TIERS, ResourceCheck, ResourceRule, RuleContext, Severity, Tier
from streaming_policies.values import (
    InvalidJsonError,
    as_list,
    as_str_list,
    at_least,
    dig,
    is_not_true,
    is_secret,
    is_set,
    is_true,
    is_unknown,
    json_document,
    name_tokens,
    number,
    reveal,
    tags_of,
)

_REGISTRY: list[ResourceRule] = []


def _rule(
    name: str,
    resource_types: set[str] | frozenset[str],
    description: str,
    severity: Severity,
    reference: str,
    tiers: tuple[Tier, ...] = TIERS,
) -> Callable[[ResourceCheck], ResourceCheck]:
    """Register a check as a named rule (order of definition = order in the pack)."""

    def register(check: ResourceCheck) -> ResourceCheck:
        _REGISTRY.append(
            ResourceRule(
                name=name,
                description=description,
                severity=severity,
                reference=reference,
                tiers=frozenset(tiers),
                resource_types=frozenset(resource_types),
                check=check,
            )
        )
        return check

    return register


# ---------------------------------------------------------------------------------------
# Edge exposure: the only resources allowed to face the internet.
# ---------------------------------------------------------------------------------------

EDGE_TAG_KEY = "exposure"
EDGE_TAG_VALUE = "public"
EDGE_NAME_TOKEN = "edge"


def is_edge(props: Mapping[str, Any], resource_name: str) -> bool:
    """The public ingress tier: tagged ``exposure=public`` or named with the word ``edge``."""
    tags = tags_of(props.get("tags")) or {}
    if tags.get(EDGE_TAG_KEY) == EDGE_TAG_VALUE:
        return True
    return EDGE_NAME_TOKEN in name_tokens(resource_name, dig(props, "name"))


# ---------------------------------------------------------------------------------------
# Amazon MSK
# ---------------------------------------------------------------------------------------

MSK_ENCRYPTION_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html"
MSK_IAM_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html"
MSK_BEST_PRACTICES_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html"
MSK_LOGGING_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/msk-logging.html"
MSK_MONITORING_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/monitoring.html"
MSK_CONFIGURATION_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/msk-configuration-properties.html"
MSK_REPLICATOR_DOC = "https://docs.aws.amazon.com/msk/latest/developerguide/msk-replicator.html"


@_rule(
    "msk-encryption-at-rest-cmk",
    {tokens.MSK_CLUSTER},
    "MSK broker storage is encrypted with a customer-managed KMS key.",
    "high",
    MSK_ENCRYPTION_DOC,
)
def msk_encryption_at_rest(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if is_set(dig(props, "encryptionInfo.encryptionAtRestKmsKeyArn")):
        return []
    return [
        "encryptionInfo.encryptionAtRestKmsKeyArn is not set: MSK then uses an AWS managed "
        "key whose policy the platform cannot control or audit."
    ]


@_rule(
    "msk-encryption-in-transit",
    {tokens.MSK_CLUSTER},
    "MSK encrypts client-broker traffic with TLS only and encrypts broker-broker traffic.",
    "high",
    MSK_ENCRYPTION_DOC,
)
def msk_encryption_in_transit(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Absent values take the provider defaults: clientBroker "TLS", inCluster true
    # (pulumi-aws 7.51 msk ClusterEncryptionInfoEncryptionInTransitArgs docs).
    problems = []
    client_broker = dig(props, "encryptionInfo.encryptionInTransit.clientBroker")
    if client_broker is not None and not is_unknown(client_broker) and client_broker != "TLS":
        problems.append(
            f"encryptionInfo.encryptionInTransit.clientBroker is {client_broker!r}: only "
            "'TLS' keeps plaintext listeners closed."
        )
    if dig(props, "encryptionInfo.encryptionInTransit.inCluster") is False:
        problems.append(
            "encryptionInfo.encryptionInTransit.inCluster is false: replication traffic "
            "between brokers would travel unencrypted."
        )
    return problems


@_rule(
    "msk-iam-client-auth",
    {tokens.MSK_CLUSTER},
    "MSK clients authenticate with IAM and unauthenticated access is off.",
    "high",
    MSK_IAM_DOC,
)
def msk_iam_client_auth(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    if not is_true(dig(props, "clientAuthentication.sasl.iam")):
        problems.append(
            "clientAuthentication.sasl.iam is not true: IAM auth is how producers, Spark and "
            "MSK Replicator (which requires it on the source) are authorised."
        )
    if not is_not_true(dig(props, "clientAuthentication.unauthenticated")):
        problems.append("clientAuthentication.unauthenticated is true: anyone in the VPC could connect.")
    return problems


@_rule(
    "msk-broker-spread",
    {tokens.MSK_CLUSTER},
    "MSK brokers are a multiple of the client subnets; prod has >= 3 brokers in >= 3 subnets.",
    "high",
    MSK_BEST_PRACTICES_DOC,
)
def msk_broker_spread(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    brokers_value = dig(props, "numberOfBrokerNodes")
    subnets_value = dig(props, "brokerNodeGroupInfo.clientSubnets")
    brokers = number(brokers_value)
    subnets = None if is_unknown(subnets_value) else len(as_list(subnets_value))
    if brokers is not None and subnets and brokers % subnets != 0:
        problems.append(
            f"numberOfBrokerNodes {brokers:g} is not a multiple of the {subnets} client subnets: "
            "MSK places the same number of brokers in each subnet's AZ."
        )
    if context.tier == "prod":
        if not at_least(brokers_value, 3):
            problems.append("numberOfBrokerNodes is below 3: prod needs replication factor 3.")
        if subnets is not None and subnets < 3:
            problems.append(
                f"brokerNodeGroupInfo.clientSubnets lists {subnets} subnet(s): prod spreads "
                "brokers over 3 AZs so one AZ loss keeps a quorum of replicas."
            )
    return problems


@_rule(
    "msk-broker-logs",
    {tokens.MSK_CLUSTER},
    "MSK broker logs go to CloudWatch Logs.",
    "medium",
    MSK_LOGGING_DOC,
)
def msk_broker_logs(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    cloudwatch = "loggingInfo.brokerLogs.cloudwatchLogs"
    if not is_true(dig(props, f"{cloudwatch}.enabled")):
        return [f"{cloudwatch}.enabled is not true: broker errors would be invisible."]
    if not is_set(dig(props, f"{cloudwatch}.logGroup")):
        return [f"{cloudwatch}.logGroup is not set: enabled CloudWatch logs need a log group."]
    return []


@_rule(
    "msk-enhanced-monitoring",
    {tokens.MSK_CLUSTER},
    "Prod MSK clusters publish per-broker (or finer) metrics.",
    "medium",
    MSK_MONITORING_DOC,
    tiers=("prod",),
)
def msk_enhanced_monitoring(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    level = dig(props, "enhancedMonitoring")
    if level is None or level == "DEFAULT":
        return [
            "enhancedMonitoring is DEFAULT: prod runs PER_BROKER or a finer level, for broker "
            "diagnosis beyond the free DEFAULT metrics."
        ]
    return []


@_rule(
    "msk-custom-configuration",
    {tokens.MSK_CLUSTER},
    "MSK clusters run a managed configuration revision, not the service defaults.",
    "medium",
    MSK_CONFIGURATION_DOC,
)
def msk_custom_configuration(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    if not is_set(dig(props, "configurationInfo.arn")):
        problems.append(
            "configurationInfo.arn is not set: durability settings (min.insync.replicas, "
            "unclean leader election) would be MSK defaults nobody reviewed."
        )
    elif not is_set(dig(props, "configurationInfo.revision")):
        problems.append("configurationInfo.revision is not set: pin the configuration revision.")
    return problems


def parse_server_properties(text: str) -> dict[str, str]:
    """Kafka ``server.properties`` text as a dict (``key=value`` or ``key: value`` lines)."""
    parsed: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        separators = [index for index in (line.find("="), line.find(":")) if index > 0]
        if not separators:
            continue
        split_at = min(separators)
        parsed[line[:split_at].strip()] = line[split_at + 1 :].strip()
    return parsed


def _server_properties(props: Mapping[str, Any]) -> dict[str, str] | None:
    text = dig(props, "serverProperties")
    if is_unknown(text):
        return None
    return parse_server_properties(text if isinstance(text, str) else "")


def _int_property(properties: dict[str, str], key: str) -> int | None:
    try:
        return int(properties[key])
    except (KeyError, ValueError):
        return None


# Replication factor 3 with min.insync.replicas 2 (RF - 1) is the MSK best practice for
# production ("Best practices for Standard brokers", Amazon MSK Developer Guide, checked
# 2026-11-26). Dev runs 2 AZs and 2 brokers by design, so it may use RF 2 / min ISR 1.
DURABILITY_MINIMUMS: dict[Tier, tuple[int, int]] = {"dev": (2, 1), "staging": (3, 2), "prod": (3, 2)}


@_rule(
    "msk-configuration-durability",
    {tokens.MSK_CONFIGURATION},
    "MSK configuration: replication factor >= 3 and min.insync.replicas >= 2 (dev: 2 and 1), "
    "min ISR below the replication factor, no unclean leader election.",
    "high",
    MSK_BEST_PRACTICES_DOC,
)
def msk_configuration_durability(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    properties = _server_properties(props)
    if properties is None:
        return []
    problems = []
    minimum_rf, minimum_isr = DURABILITY_MINIMUMS[context.tier]
    replication_factor = _int_property(properties, "default.replication.factor")
    min_insync = _int_property(properties, "min.insync.replicas")
    if replication_factor is None or replication_factor < minimum_rf:
        problems.append(
            f"default.replication.factor is {properties.get('default.replication.factor')!r}: "
            f"{context.tier} needs {minimum_rf} or more so topics survive a broker or AZ loss."
        )
    if min_insync is None or min_insync < minimum_isr:
        problems.append(
            f"min.insync.replicas is {properties.get('min.insync.replicas')!r}: {context.tier} "
            f"needs {minimum_isr} or more so acks=all writes reach enough replicas."
        )
    if replication_factor is not None and min_insync is not None and min_insync >= replication_factor:
        problems.append(
            f"min.insync.replicas {min_insync} is not below default.replication.factor "
            f"{replication_factor}: acks=all producers would stop during any broker restart."
        )
    if properties.get("unclean.leader.election.enable", "").lower() != "false":
        problems.append(
            "unclean.leader.election.enable is not 'false': an out-of-sync replica could "
            "become leader and drop acknowledged records."
        )
    return problems


@_rule(
    "msk-configuration-no-auto-create-topics",
    {tokens.MSK_CONFIGURATION},
    "MSK configuration disables automatic topic creation.",
    "medium",
    MSK_CONFIGURATION_DOC,
)
def msk_configuration_no_auto_create(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    properties = _server_properties(props)
    if properties is None or properties.get("auto.create.topics.enable", "").lower() == "false":
        return []
    return [
        "auto.create.topics.enable is not 'false': a typo in a producer would create a topic "
        "with default partitions that the replicator and alarms do not know."
    ]


@_rule(
    "msk-replicator-identical-topics",
    {tokens.MSK_REPLICATOR},
    "MSK Replicator keeps topic names identical, leaves topic configs to the program and syncs group offsets.",
    "high",
    MSK_REPLICATOR_DOC,
)
def msk_replicator_identical_topics(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    info = dig(props, "replicationInfoList")
    if is_unknown(info):
        return []
    topic_replications = as_list(dig(props, "replicationInfoList.topicReplications"))
    group_replications = as_list(dig(props, "replicationInfoList.consumerGroupReplications"))
    if not topic_replications:
        problems.append("replicationInfoList.topicReplications is empty: nothing is replicated.")
    for index, replication in enumerate(topic_replications):
        path = f"replicationInfoList.topicReplications[{index}]"
        naming = dig(replication, "topicNameConfiguration.type")
        if naming != "IDENTICAL" and not is_unknown(naming):
            problems.append(
                f"{path}.topicNameConfiguration.type is {naming!r}: active/passive failover "
                "needs IDENTICAL topic names so consumers switch without code changes."
            )
        if is_true(dig(replication, "copyTopicConfigurations")):
            problems.append(
                f"{path}.copyTopicConfigurations is on: the Replicator would rewrite the configs of topics "
                "the program declares (aws.msk.Topic) in the target cluster; one owner per topic config."
            )
    for index, replication in enumerate(group_replications):
        if not is_true(dig(replication, "synchroniseConsumerGroupOffsets")):
            problems.append(
                f"replicationInfoList.consumerGroupReplications[{index}]"
                ".synchroniseConsumerGroupOffsets is not true: consumers in the DR region "
                "would restart from the wrong offsets."
            )
    return problems


# ---------------------------------------------------------------------------------------
# Amazon ElastiCache (Valkey)
# ---------------------------------------------------------------------------------------

ELASTICACHE_AT_REST_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/at-rest-encryption.html"
ELASTICACHE_IN_TRANSIT_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/in-transit-encryption.html"
ELASTICACHE_MULTI_AZ_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/AutoFailover.html"
ELASTICACHE_BACKUP_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/backups.html"
ELASTICACHE_RBAC_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/Clusters.RBAC.html"
ELASTICACHE_LOGS_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/Log_Delivery.html"


def is_global_secondary(props: Mapping[str, Any]) -> bool:
    """A Global Datastore secondary inherits engine, encryption and auth from the primary."""
    return is_set(dig(props, "globalReplicationGroupId"))


@_rule(
    "elasticache-encryption-at-rest-cmk",
    {tokens.REPLICATION_GROUP},
    "ElastiCache encrypts data at rest with a customer-managed KMS key.",
    "high",
    ELASTICACHE_AT_REST_DOC,
)
def elasticache_encryption_at_rest(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    enabled = dig(props, "atRestEncryptionEnabled")
    if not is_true(enabled) and not (enabled is None and is_global_secondary(props)):
        problems.append("atRestEncryptionEnabled is not true: snapshots and swap are unencrypted.")
    if not is_set(dig(props, "kmsKeyId")):
        problems.append(
            "kmsKeyId is not set: use a customer-managed key in this region (a Global Datastore "
            "secondary needs its own regional key)."
        )
    return problems


@_rule(
    "elasticache-encryption-in-transit",
    {tokens.REPLICATION_GROUP},
    "ElastiCache requires TLS for every client connection.",
    "high",
    ELASTICACHE_IN_TRANSIT_DOC,
)
def elasticache_encryption_in_transit(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    enabled = dig(props, "transitEncryptionEnabled")
    if not is_true(enabled) and not (enabled is None and is_global_secondary(props)):
        problems.append("transitEncryptionEnabled is not true: cache traffic would be plaintext.")
    mode = dig(props, "transitEncryptionMode")
    if mode is not None and not is_unknown(mode) and mode != "required":
        problems.append(f"transitEncryptionMode is {mode!r}: 'preferred' still accepts plaintext clients.")
    return problems


@_rule(
    "elasticache-multi-az-failover",
    {tokens.REPLICATION_GROUP},
    "ElastiCache has replicas, Multi-AZ and automatic failover (a Global Datastore secondary "
    "may leave them to the primary's settings).",
    "high",
    ELASTICACHE_MULTI_AZ_DOC,
)
def elasticache_multi_az_failover(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    secondary = is_global_secondary(props)
    problems = []
    for flag in ("automaticFailoverEnabled", "multiAzEnabled"):
        value = dig(props, flag)
        if not is_true(value) and not (secondary and value is None):
            problems.append(f"{flag} is not true: an AZ or primary-node loss would stop writes.")
    replicas = dig(props, "replicasPerNodeGroup")
    cache_clusters = dig(props, "numCacheClusters")
    if replicas is not None or cache_clusters is not None:
        enough = at_least(replicas, 1) if replicas is not None else at_least(cache_clusters, 2)
        if not enough:
            problems.append("replicasPerNodeGroup is below 1 (numCacheClusters below 2): failover needs a replica.")
    elif not secondary:
        problems.append("replicasPerNodeGroup is not set: the default is a single node without a replica.")
    return problems


@_rule(
    "elasticache-snapshot-retention",
    {tokens.REPLICATION_GROUP},
    "Staging and prod ElastiCache keep automatic snapshots for at least one day.",
    "medium",
    ELASTICACHE_BACKUP_DOC,
    tiers=("staging", "prod"),
)
def elasticache_snapshot_retention(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if at_least(dig(props, "snapshotRetentionLimit"), 1):
        return []
    return [
        "snapshotRetentionLimit is below 1: replication copies corruption too, so the "
        "point-in-time restore path needs snapshots."
    ]


@_rule(
    "elasticache-auth",
    {tokens.REPLICATION_GROUP},
    "ElastiCache clients authenticate (RBAC user groups or an AUTH token, never both); an "
    "AUTH token is never in clear text.",
    "high",
    ELASTICACHE_RBAC_DOC,
)
def elasticache_auth(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    raw_token = props.get("authToken")
    has_token = is_set(raw_token) or is_set(props.get("authTokenWo"))
    has_user_groups = is_set(props.get("userGroupIds"))
    if has_user_groups and has_token:
        problems.append(
            "userGroupIds and an AUTH token are both set: use RBAC user groups only, so access "
            "is per user and the token cannot leak."
        )
    # pulumi-aws wraps authToken in a secret itself; this catches a clear value that reached
    # the plan another way. pulumi-policy strips secret markers, so it is skipped there.
    token = reveal(raw_token)
    if context.secrets_visible and is_set(raw_token) and not is_secret(raw_token) and not is_unknown(token):
        problems.append("authToken is in clear text in the plan: pass it as a Pulumi secret.")
    if not has_user_groups and not has_token and not is_global_secondary(props):
        problems.append(
            "no client authentication: set userGroupIds (RBAC) so a network path alone "
            "does not grant access to the cache."
        )
    return problems


@_rule(
    "elasticache-log-delivery",
    {tokens.REPLICATION_GROUP},
    "ElastiCache delivers slow and engine logs to a destination.",
    "medium",
    ELASTICACHE_LOGS_DOC,
)
def elasticache_log_delivery(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    configurations = dig(props, "logDeliveryConfigurations")
    if is_unknown(configurations):
        return []
    entries = as_list(configurations)
    if not entries:
        return ["logDeliveryConfigurations is empty: failovers and slow commands leave no trace."]
    return [
        f"logDeliveryConfigurations[{index}].destination is not set."
        for index, entry in enumerate(entries)
        if not is_set(dig(entry, "destination"))
    ]


# ---------------------------------------------------------------------------------------
# Amazon EMR
# ---------------------------------------------------------------------------------------

EMR_SECURITY_CONFIGURATION_DOC = (
    "https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-security-configurations.html"
)
EMR_ENCRYPTION_DOC = "https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-data-encryption-options.html"
EMR_TERMINATION_DOC = "https://docs.aws.amazon.com/emr/latest/ManagementGuide/UsingEMR_TerminationProtection.html"
EMR_PRIVATE_SUBNET_DOC = "https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-clusters-in-a-vpc.html"
EMR_LOGGING_DOC = "https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-plan-debugging.html"


@_rule(
    "emr-security-configuration-attached",
    {tokens.EMR_CLUSTER},
    "EMR clusters run with a security configuration.",
    "high",
    EMR_SECURITY_CONFIGURATION_DOC,
)
def emr_security_configuration_attached(
    resource_type: str, props: Mapping[str, Any], context: RuleContext
) -> list[str]:
    if is_set(dig(props, "securityConfiguration")):
        return []
    return ["securityConfiguration is not set: local disks, EBS and S3 output would be unencrypted."]


@_rule(
    "emr-termination-protection",
    {tokens.EMR_CLUSTER},
    "Prod EMR clusters have termination protection.",
    "medium",
    EMR_TERMINATION_DOC,
    tiers=("prod",),
)
def emr_termination_protection(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Provider default: false, except with multiple master nodes (pulumi-aws 7.51 emr.Cluster).
    if is_true(dig(props, "terminationProtection")):
        return []
    return ["terminationProtection is not true: one mistaken API call would stop streaming."]


@_rule(
    "emr-private-network",
    {tokens.EMR_CLUSTER},
    "EMR clusters run in chosen subnets with EMR-managed and service-access security groups.",
    "high",
    EMR_PRIVATE_SUBNET_DOC,
)
def emr_private_network(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    attributes = dig(props, "ec2Attributes")
    if is_unknown(attributes):
        return []
    if not isinstance(attributes, Mapping):
        return ["ec2Attributes is not set: the cluster would land in the default VPC."]
    problems = []
    if not (is_set(attributes.get("subnetId")) or is_set(attributes.get("subnetIds"))):
        problems.append("ec2Attributes.subnetId(s) is not set: pick the private subnets.")
    for group in (
        "emrManagedMasterSecurityGroup",
        "emrManagedSlaveSecurityGroup",
        "serviceAccessSecurityGroup",
    ):
        if not is_set(attributes.get(group)):
            problems.append(
                f"ec2Attributes.{group} is not set: EMR would create a default group itself, "
                "whose rules this code neither reviews nor owns."
            )
    return problems


@_rule(
    "emr-log-uri",
    {tokens.EMR_CLUSTER},
    "EMR clusters write logs to S3.",
    "medium",
    EMR_LOGGING_DOC,
)
def emr_log_uri(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    log_uri = dig(props, "logUri")
    if is_unknown(log_uri) or (isinstance(log_uri, str) and log_uri.startswith("s3://")):
        return []
    return [f"logUri is {log_uri!r}: set an s3:// location, or failed steps leave no logs."]


@_rule(
    "emr-keep-alive-for-streaming",
    {tokens.EMR_CLUSTER},
    "EMR streaming clusters stay up when no step runs.",
    "medium",
    EMR_LOGGING_DOC,
)
def emr_keep_alive(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Provider default is on (pulumi-aws 7.51 emr.Cluster keep_job_flow_alive_when_no_steps).
    if dig(props, "keepJobFlowAliveWhenNoSteps") is False:
        return [
            "keepJobFlowAliveWhenNoSteps is false: the cluster terminates when the streaming "
            "step fails, and the restart pays the full cluster create time."
        ]
    return []


@_rule(
    "emr-at-rest-encryption",
    {tokens.EMR_SECURITY_CONFIGURATION},
    "EMR security configuration encrypts S3 (SSE-KMS), local disks and EBS with KMS.",
    "high",
    EMR_ENCRYPTION_DOC,
)
def emr_at_rest_encryption(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    try:
        document = json_document(dig(props, "configuration"))
    except InvalidJsonError as error:
        return [f"configuration is not valid JSON: {error}"]
    if is_unknown(document):
        return []
    encryption = dig(document, "EncryptionConfiguration") if isinstance(document, Mapping) else None
    if not isinstance(encryption, Mapping):
        return ["configuration has no EncryptionConfiguration."]
    problems = []
    if encryption.get("EnableAtRestEncryption") is not True:
        problems.append("EncryptionConfiguration.EnableAtRestEncryption is not true.")
    s3 = dig(encryption, "AtRestEncryptionConfiguration.S3EncryptionConfiguration") or {}
    if dig(s3, "EncryptionMode") != "SSE-KMS" or not is_set(dig(s3, "AwsKmsKey")):
        problems.append("S3EncryptionConfiguration must be EncryptionMode SSE-KMS with an AwsKmsKey.")
    disk = dig(encryption, "AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration") or {}
    if dig(disk, "EncryptionKeyProviderType") != "AwsKms" or not is_set(dig(disk, "AwsKmsKey")):
        problems.append("LocalDiskEncryptionConfiguration must use EncryptionKeyProviderType AwsKms with an AwsKmsKey.")
    if dig(disk, "EnableEbsEncryption") is not True:
        problems.append("LocalDiskEncryptionConfiguration.EnableEbsEncryption is not true.")
    return problems


# ---------------------------------------------------------------------------------------
# Elastic Load Balancing
# ---------------------------------------------------------------------------------------

ALB_ACCESS_LOGS_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"
ALB_ATTRIBUTES_DOC = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html"
)
ALB_SSL_POLICIES_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html"

# Security policies of the TLS13 family that refuse TLS 1.0 and 1.1 (the TLS13-1-0 and
# TLS13-1-1 policies of the same family still accept them). Source: "Security policies for
# your Application Load Balancer", AWS ELB documentation, checked 2026-11-26.
TLS_POLICY_PREFIXES = ("ELBSecurityPolicy-TLS13-1-2-", "ELBSecurityPolicy-TLS13-1-3-")


@_rule(
    "lb-access-logs",
    tokens.LOAD_BALANCERS,
    "Load balancers write access logs to S3.",
    "medium",
    ALB_ACCESS_LOGS_DOC,
)
def lb_access_logs(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Provider default: disabled, "even when bucket is specified" (pulumi-aws 7.51 lb docs).
    if is_true(dig(props, "accessLogs.enabled")) and is_set(dig(props, "accessLogs.bucket")):
        return []
    return ["accessLogs is not enabled with a bucket: requests cannot be traced after an incident."]


@_rule(
    "alb-drop-invalid-headers",
    tokens.LOAD_BALANCERS,
    "Application load balancers drop invalid HTTP header fields.",
    "medium",
    ALB_ATTRIBUTES_DOC,
)
def alb_drop_invalid_headers(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if dig(props, "loadBalancerType") not in (None, "application"):
        return []
    if is_true(dig(props, "dropInvalidHeaderFields")):
        return []
    return ["dropInvalidHeaderFields is not true: malformed headers reach the ingest service (request smuggling)."]


@_rule(
    "lb-deletion-protection",
    tokens.LOAD_BALANCERS,
    "Prod load balancers have deletion protection.",
    "medium",
    ALB_ATTRIBUTES_DOC,
    tiers=("prod",),
)
def lb_deletion_protection(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if is_true(dig(props, "enableDeletionProtection")):
        return []
    return ["enableDeletionProtection is not true: deleting it would change its DNS name."]


@_rule(
    "lb-internal-unless-edge",
    tokens.LOAD_BALANCERS,
    "Only the edge load balancer (tag exposure=public or 'edge' in its name) faces the internet.",
    "high",
    ALB_ATTRIBUTES_DOC,
)
def lb_internal_unless_edge(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Provider default for internal is false: an unset value means internet-facing.
    if dig(props, "loadBalancerType") == "gateway" or is_true(dig(props, "internal")):
        return []
    if is_edge(props, context.resource_name):
        return []
    return [
        "internal is not true on a load balancer that is not the edge: tag it "
        f"{EDGE_TAG_KEY}={EDGE_TAG_VALUE} only if it is the public entry point."
    ]


def _redirects_to_https(actions: list[Any]) -> bool:
    return bool(actions) and all(
        dig(action, "type") == "redirect" and dig(action, "redirect.protocol") == "HTTPS" for action in actions
    )


@_rule(
    "lb-listener-tls",
    tokens.LISTENERS,
    "Listeners use HTTPS/TLS with a TLS 1.2+ TLS13-family policy; plain HTTP only redirects "
    "to HTTPS (dev may forward plain HTTP when it has no certificate).",
    "high",
    ALB_SSL_POLICIES_DOC,
)
def lb_listener_tls(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    protocol = dig(props, "protocol") or "HTTP"
    if is_unknown(protocol):
        return []
    if protocol in ("HTTPS", "TLS"):
        policy = dig(props, "sslPolicy")
        if is_unknown(policy) or (isinstance(policy, str) and policy.startswith(TLS_POLICY_PREFIXES)):
            return []
        return [
            f"sslPolicy is {policy!r}: use a TLS13-family policy that refuses TLS 1.0/1.1 "
            "(e.g. ELBSecurityPolicy-TLS13-1-2-2021-06); the API default is ELBSecurityPolicy-2016-08."
        ]
    actions = dig(props, "defaultActions")
    if protocol == "HTTP" and (is_unknown(actions) or _redirects_to_https(as_list(actions))):
        return []
    if context.tier == "dev":
        return []
    return [f"a plaintext {protocol} listener forwards traffic: use HTTPS/TLS, or redirect HTTP to HTTPS."]


# ---------------------------------------------------------------------------------------
# Amazon S3
# ---------------------------------------------------------------------------------------

S3_BUCKET_KEY_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html"
S3_PUBLIC_ACCESS_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
S3_VERSIONING_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"
S3_SECURITY_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
S3_RTC_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html"

# S3 Replication Time Control replicates 99.99% of objects within 15 minutes; the API only
# accepts 15 ("Meeting compliance requirements with S3 Replication Time Control", AWS S3
# User Guide, checked 2026-11-26).
RTC_MINUTES = 15


# ALB access logs can only be written to a bucket encrypted with SSE-S3 ("Enable access logs
# for your Application Load Balancer", ELB user guide, checked 2026-11-26): the bucket that
# receives them (named with "logs" and lb/alb/elb) may use AES256.
LB_LOG_BUCKET_WORDS = frozenset({"lb", "alb", "elb"})


def is_lb_log_bucket(props: Mapping[str, Any], context: RuleContext) -> bool:
    words = name_tokens(context.resource_name, dig(props, "bucket"))
    return "logs" in words and bool(words & LB_LOG_BUCKET_WORDS)


# ElastiCache exports snapshots to (and seeds clusters from) S3 with its own service identity, granted
# through the bucket ACL; it cannot use a customer-managed key ("Exporting a backup", ElastiCache user
# guide, checked 2026-11-26). Those buckets (named cache-exports, infra/components/backup.py) use SSE-S3.
ELASTICACHE_EXPORT_BUCKET_WORDS = frozenset({"cache", "exports"})


def is_elasticache_export_bucket(props: Mapping[str, Any], context: RuleContext) -> bool:
    return ELASTICACHE_EXPORT_BUCKET_WORDS.issubset(name_tokens(context.resource_name, dig(props, "bucket")))


# The S3 server access-log buckets (named access-logs, infra/components/storage.py) use SSE-S3, so
# S3's logging service (logging.s3.amazonaws.com) delivers without a grant on the stack key; they
# hold request records, not data.
S3_ACCESS_LOG_BUCKET_WORDS = frozenset({"access", "logs"})


def is_s3_access_log_bucket(props: Mapping[str, Any], context: RuleContext) -> bool:
    return S3_ACCESS_LOG_BUCKET_WORDS.issubset(name_tokens(context.resource_name, dig(props, "bucket")))


@_rule(
    "s3-sse-kms",
    {tokens.BUCKET_SSE},
    "S3 default encryption is SSE-KMS with a customer-managed key and S3 Bucket Keys "
    "(SSE-S3 only on the load-balancer access-log bucket, the one ALB supports, on the S3 access-log "
    "buckets, written by S3's logging service without a key grant, and on the ElastiCache export buckets, "
    "which the service writes with its own identity).",
    "high",
    S3_BUCKET_KEY_DOC,
)
def s3_sse_kms(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    rules = dig(props, "rules")
    if is_unknown(rules):
        return []
    entries = as_list(rules)
    if not entries:
        return ["rules is empty: the bucket would fall back to SSE-S3."]
    problems = []
    for index, entry in enumerate(entries):
        default = dig(entry, "applyServerSideEncryptionByDefault") or {}
        algorithm = dig(default, "sseAlgorithm")
        exempt = (is_lb_log_bucket, is_s3_access_log_bucket, is_elasticache_export_bucket)
        if algorithm == "AES256" and any(exempt_bucket(props, context) for exempt_bucket in exempt):
            continue
        if algorithm != "aws:kms" and not is_unknown(algorithm):
            problems.append(f"rules[{index}] sseAlgorithm is {algorithm!r}: use 'aws:kms'.")
        if not is_set(dig(default, "kmsMasterKeyId")):
            problems.append(f"rules[{index}] kmsMasterKeyId is not set: use the platform's KMS key.")
        if not is_true(dig(entry, "bucketKeyEnabled")):
            problems.append(f"rules[{index}].bucketKeyEnabled is not true: every object write would call KMS.")
    return problems


@_rule(
    "s3-public-access-block",
    {tokens.BUCKET_PUBLIC_ACCESS_BLOCK},
    "S3 public access block has all four settings on.",
    "critical",
    S3_PUBLIC_ACCESS_DOC,
)
def s3_public_access_block(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    settings = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [setting for setting in settings if not is_true(dig(props, setting))]
    return [f"{', '.join(off)} not true: the bucket could be made public."] if off else []


@_rule(
    "s3-versioning",
    {tokens.BUCKET_VERSIONING},
    "S3 versioning is Enabled.",
    "high",
    S3_VERSIONING_DOC,
)
def s3_versioning(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    status = dig(props, "versioningConfiguration.status")
    if status == "Enabled" or is_unknown(status):
        return []
    return [
        f"versioningConfiguration.status is {status!r}: overwrites and deletes become "
        "unrecoverable, and replication requires versioning."
    ]


def policy_statements(document: Any) -> list[Mapping[str, Any]]:
    """Statements of an IAM/bucket policy document (a single statement may be an object)."""
    statements = dig(document, "Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Mapping):
        return [statements]
    return [item for item in as_list(statements) if isinstance(item, Mapping)]


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    principal = reveal(statement.get("Principal"))
    if isinstance(principal, Mapping):
        principal = dig(principal, "AWS")
    if as_str_list(principal) != ["*"]:
        return False
    if not {"s3:*", "*"} & set(as_str_list(statement.get("Action"))):
        return False
    resources = as_str_list(statement.get("Resource"))
    if not any(item.endswith("/*") for item in resources) or all(item.endswith("/*") for item in resources):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, clauses in condition.items():
        if operator not in ("Bool", "BoolIfExists") or not isinstance(clauses, Mapping):
            continue
        for key, value in clauses.items():
            values = [str(item).lower() for item in (value if isinstance(value, list) else [value])]
            if key.lower() == "aws:securetransport" and values == ["false"]:
                return True
    return False


@_rule(
    "s3-deny-insecure-transport",
    {tokens.BUCKET_POLICY},
    "S3 bucket policy denies every request made without TLS (aws:SecureTransport false).",
    "high",
    S3_SECURITY_DOC,
)
def s3_deny_insecure_transport(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    try:
        document = json_document(dig(props, "policy"))
    except InvalidJsonError as error:
        return [f"policy is not valid JSON: {error}"]
    if is_unknown(document):
        return []
    if any(_denies_insecure_transport(statement) for statement in policy_statements(document)):
        return []
    return [
        "policy has no Deny of s3:* for Principal * on the bucket and its objects with "
        "Condition Bool aws:SecureTransport 'false'."
    ]


@_rule(
    "s3-replication-rtc-kms",
    {tokens.BUCKET_REPLICATION},
    "S3 replication rules use Replication Time Control with metrics and replicate SSE-KMS objects with a replica key.",
    "high",
    S3_RTC_DOC,
)
def s3_replication_rtc_kms(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    rules = dig(props, "rules")
    if is_unknown(rules):
        return []
    enabled = [(index, rule) for index, rule in enumerate(as_list(rules)) if dig(rule, "status") == "Enabled"]
    if not enabled:
        return ["no replication rule has status Enabled: nothing is replicated."]
    problems = []
    for index, rule in enabled:
        path = f"rules[{index}]"
        if dig(rule, "destination.replicationTime.status") != "Enabled":
            problems.append(f"{path}.destination.replicationTime.status is not Enabled (RTC off: no 15-minute bound).")
        minutes = dig(rule, "destination.replicationTime.time.minutes")
        if number(minutes) != RTC_MINUTES and not is_unknown(minutes):
            problems.append(f"{path}.destination.replicationTime.time.minutes must be {RTC_MINUTES}.")
        if dig(rule, "destination.metrics.status") != "Enabled":
            problems.append(f"{path}.destination.metrics.status is not Enabled: RTC requires replication metrics.")
        if dig(rule, "sourceSelectionCriteria.sseKmsEncryptedObjects.status") != "Enabled":
            problems.append(
                f"{path}.sourceSelectionCriteria.sseKmsEncryptedObjects.status is not Enabled: "
                "SSE-KMS objects would silently not replicate."
            )
        if not is_set(dig(rule, "destination.encryptionConfiguration.replicaKmsKeyId")):
            problems.append(
                f"{path}.destination.encryptionConfiguration.replicaKmsKeyId is not set: "
                "replicas need a key in the destination region."
            )
    return problems


# ---------------------------------------------------------------------------------------
# AWS KMS
# ---------------------------------------------------------------------------------------

KMS_ROTATION_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"
KMS_DELETION_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html"

# KMS waits 7 to 30 days before deleting a key; 30 is the default (AWS KMS Developer Guide,
# "Deleting AWS KMS keys", checked 2026-11-26).
KMS_MIN_DELETION_WINDOW_DAYS = 7
KMS_PROD_DELETION_WINDOW_DAYS = 30


@_rule(
    "kms-key-rotation",
    {tokens.KMS_KEY},
    "Symmetric KMS keys rotate automatically.",
    "medium",
    KMS_ROTATION_DOC,
)
def kms_key_rotation(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Automatic rotation exists for symmetric encryption keys only.
    spec = dig(props, "customerMasterKeySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT") or dig(props, "keyUsage") not in (None, "ENCRYPT_DECRYPT"):
        return []
    if is_true(dig(props, "enableKeyRotation")):
        return []
    return ["enableKeyRotation is not true: the key material would never change."]


@_rule(
    "kms-deletion-window",
    {tokens.KMS_KEY},
    "KMS keys wait >= 7 days before deletion (30 in prod).",
    "medium",
    KMS_DELETION_DOC,
)
def kms_deletion_window(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    window = dig(props, "deletionWindowInDays")
    if window is None:
        return []  # AWS default: 30 days.
    minimum = KMS_PROD_DELETION_WINDOW_DAYS if context.tier == "prod" else KMS_MIN_DELETION_WINDOW_DAYS
    if at_least(window, minimum):
        return []
    return [
        f"deletionWindowInDays is {window!r}: at least {minimum} days leaves time to cancel a "
        "deletion that would make every encrypted store unreadable."
    ]


# ---------------------------------------------------------------------------------------
# VPC and security groups
# ---------------------------------------------------------------------------------------

DEFAULT_SG_DOC = "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html"


@_rule(
    "vpc-default-sg-closed",
    {tokens.DEFAULT_SECURITY_GROUP},
    "The adopted default security group has no rules.",
    "high",
    DEFAULT_SG_DOC,
)
def vpc_default_sg_closed(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    # Adopting the default group without rules removes AWS's allow-all rules.
    return [
        f"{direction} has rules: anything launched without a security group would get them."
        for direction in ("ingress", "egress")
        if is_set(dig(props, direction))
    ]


# ---------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------

IAM_BEST_PRACTICES_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"
IAM_PASSROLE_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"

IAM_POLICY_TYPES = frozenset({tokens.IAM_POLICY, tokens.IAM_ROLE, *tokens.IAM_INLINE_POLICIES})


def _policy_documents(props: Mapping[str, Any]) -> tuple[list[tuple[str, Any]], list[str]]:
    """(label, parsed document) pairs of a policy-bearing resource, and parse errors."""
    raw = [("policy", dig(props, "policy"))]
    raw += [
        (f"inlinePolicies[{index}].policy", dig(entry, "policy"))
        for index, entry in enumerate(as_list(dig(props, "inlinePolicies")))
    ]
    documents, errors = [], []
    for label, value in raw:
        if value is None:
            continue
        try:
            document = json_document(value)
        except InvalidJsonError as error:
            errors.append(f"{label} is not valid JSON: {error}")
            continue
        if not is_unknown(document):
            documents.append((label, document))
    return documents, errors


def _allow_on_all_resources(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow" and "*" in as_str_list(statement.get("Resource"))


def _grants(statement: Mapping[str, Any], action: str) -> bool:
    """Whether an Allow statement's Action (or NotAction) covers the given action."""
    if "NotAction" in statement:
        excluded = as_str_list(statement.get("NotAction"))
        return not any(fnmatch.fnmatchcase(action, pattern.lower()) for pattern in excluded)
    granted = as_str_list(statement.get("Action"))
    return any(fnmatch.fnmatchcase(action, pattern.lower()) for pattern in granted)


@_rule(
    "iam-no-admin-wildcard",
    IAM_POLICY_TYPES,
    "IAM policies never allow Action '*' (or NotAction) on Resource '*'.",
    "critical",
    IAM_BEST_PRACTICES_DOC,
)
def iam_no_admin_wildcard(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    documents, problems = _policy_documents(props)
    for label, document in documents:
        for statement in policy_statements(document):
            if not _allow_on_all_resources(statement):
                continue
            actions = as_str_list(statement.get("Action"))
            if "NotAction" in statement or {"*", "*:*"} & set(actions):
                problems.append(f"{label} allows every action on Resource '*': grant the actions the workload uses.")
    return problems


@_rule(
    "iam-no-passrole-wildcard",
    IAM_POLICY_TYPES,
    "IAM policies never allow iam:PassRole on Resource '*'.",
    "critical",
    IAM_PASSROLE_DOC,
)
def iam_no_passrole_wildcard(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    documents, _ = _policy_documents(props)
    return [
        f"{label} allows iam:PassRole on Resource '*': name the roles it may pass, or it can "
        "hand any role (including admin roles) to a service."
        for label, document in documents
        for statement in policy_statements(document)
        if _allow_on_all_resources(statement) and _grants(statement, "iam:passrole")
    ]


RESOURCE_RULES: tuple[ResourceRule, ...] = tuple(_REGISTRY)
