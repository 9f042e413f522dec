"""The ElastiCache tier: a cluster-mode Valkey (or Redis OSS) replication group the job and the ingest tier share.

Multi-AZ with automatic failover (a replica per shard, enforced by config rules), TLS
required, encryption at rest with the stack key, and no static password by default: clients
authenticate as an IAM-enabled RBAC user (``elasticache:Connect``), and the group's
``default`` user is switched off. An auth token in Secrets Manager exists only with
``cache.auth: token``, for clients that cannot sign IAM tokens.

The parameter group's name carries the engine family and a hash of its parameters, so a
version or parameter change creates the new group before the old one is deleted and never
hits "parameter group in use" (a group in use cannot be deleted:
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Deleting.html, checked 2026-12-02).

Global Datastore members (a warm-standby pair) are declared as AWS holds them, so the next
`pulumi up` has nothing to "fix" and nothing AWS would refuse:

* A secondary (``global_replication_group_id``) sends only what is its own in its region:
  identity, subnets and security group, replicas per shard and failover flags, the region's KMS
  key and RBAC user group, its log groups and snapshot settings. Engine, version, node type,
  shard count, parameter group, encryption flags and port come from the global group
  (CreateReplicationGroup into an existing global group answers InvalidParameterCombination for
  such sets: https://github.com/hashicorp/terraform-provider-aws/issues/24854; "ElastiCache infers
  [them] from the primary", https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-CLI.html
  as quoted in https://github.com/hashicorp/terraform-provider-aws/issues/20893; checked 2026-12-02).
* Joining turns auto minor version upgrade off (https://github.com/hashicorp/terraform-provider-aws/issues/24919):
  both members declare it off; versions move through the global group.
* Joining swaps the primary's parameter group for an auto-generated ``global-datastore-*`` copy,
  and ModifyReplicationGroup on a member is refused ("is part of a global cluster. Request
  rejected": https://github.com/hashicorp/terraform-provider-aws/issues/27875,
  https://github.com/hashicorp/terraform-provider-aws/issues/19929). So the primary member
  ignores changes to its parameter group, engine version, node type and shard count: node type,
  shards and version are arguments of the global resource (``global_datastore_settings``), and
  parameters change on a global datastore only together with a MAJOR engine version upgrade of
  the global group (ModifyGlobalReplicationGroup refuses a parameter group change without one:
  https://github.com/hashicorp/terraform-provider-aws/pull/49110, checked 2026-12-02).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.catalog.cache_engines import engine_catalog
from infra.components.foundation import Built, Foundation
from infra.components.network import client_tiers
from infra.components.observability import cache_alarms
from infra.config.schema import CacheConfig
from infra.naming import Naming

PORT = 6379
# RBAC users live in a user group of engine "redis": a Valkey cluster accepts such groups, and
# only they may hold the disabled, password-less "default" user; groups of engine "valkey" accept
# password or IAM users only ("Role-Based Access Control (RBAC)", Amazon ElastiCache user guide,
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html, checked 2026-11-26).
RBAC_ENGINE = "redis"
# The default user every group must contain: switched off, no command, no key.
DEFAULT_USER_ACCESS = "off -@all"
# The application user: every key and channel, no command in the @dangerous category
# (FLUSHALL, CONFIG, DEBUG, KEYS, ...); cluster clients keep CLUSTER SLOTS/SHARDS (@slow).
APP_USER_ACCESS = "on ~* &* +@all -@dangerous"
# Log types ElastiCache delivers (ReplicationGroup log_delivery_configurations, log_type).
LOG_TYPES = ("slow-log", "engine-log")


@dataclass(frozen=True)
class CacheArgs:
    config: CacheConfig
    naming: Naming
    subnet_ids: Sequence[pulumi.Input[str]]
    """The private-data subnets (one per AZ) the nodes are spread over."""
    security_group_id: pulumi.Input[str]
    """The pre-created cache SG; this component adds its ingress rules."""
    client_security_groups: Mapping[str, pulumi.Input[str]]
    """Tier name -> SG id of every client allowed to reach port 6379."""
    kms_key_arn: pulumi.Input[str]
    protect: bool
    """Protect the replication group from deletion (prod)."""
    final_snapshot: bool
    """Take a final snapshot when the replication group is deleted."""
    global_replication_group_id: pulumi.Input[str] | None = None
    """Set to join a Global Datastore as its secondary (the DR region of a warm-standby pair)."""
    global_member: bool = False
    """Heads (primary) or joins (secondary) a Global Datastore: what AWS then holds is declared."""


# What the global group holds for its primary member once it joined; changed through the global
# resource (node type, shards, version) or a major upgrade (parameter group), never on the member.
GLOBAL_HELD = ("parameterGroupName", "engineVersion", "nodeType", "numNodeGroups")


class Cache(pulumi.ComponentResource):
    config: CacheConfig
    replication_group: aws.elasticache.ReplicationGroup
    replication_group_id: str
    configuration_endpoint: pulumi.Output[str]
    port: int
    member_cluster_ids: list[str]
    user_group: aws.elasticache.UserGroup | None
    iam_user_id: str | None
    iam_user: aws.elasticache.User | None
    connect_policy: aws.iam.Policy | None
    parameter_group: aws.elasticache.ParameterGroup | None
    auth_secret: aws.secretsmanager.Secret | None
    log_groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:cache:Cache", name, None, opts)
        cfg, naming = args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)
        self.config = cfg
        self.secondary = args.global_replication_group_id is not None
        self.replication_group_id = naming("cache")
        self.port = PORT
        self.member_cluster_ids = member_cluster_ids(self.replication_group_id, cfg.shards, cfg.replicas_per_shard)
        self._ingress_rules(name, args)
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=naming("cache", "subnets"),
            subnet_ids=list(args.subnet_ids),
            description="private-data subnets, one per AZ",
            opts=child,
        )
        self.log_groups = {log_type: self._log_group(name, log_type, args) for log_type in LOG_TYPES}
        self.parameter_group = None if self.secondary else self._parameter_group(name, cfg, naming)
        self.user_group, self.iam_user, self.iam_user_id = self._rbac(name, cfg, naming)
        self.auth_secret, auth_token = self._auth_token(name, cfg, naming, args.kms_key_arn)
        self.replication_group = self._replication_group(name, args, subnet_group, auth_token)
        self.configuration_endpoint = self.replication_group.configuration_endpoint_address
        self.connect_policy = self._connect_policy(name, naming)
        self.register_outputs(
            {
                "replicationGroupId": self.replication_group_id,
                "configurationEndpoint": self.configuration_endpoint,
                "port": self.port,
                "userGroupId": self.user_group.user_group_id if self.user_group else None,
                "iamUserId": self.iam_user_id,
            }
        )

    def _ingress_rules(self, name: str, args: CacheArgs) -> None:
        for tier, source in args.client_security_groups.items():
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-{tier}",
                security_group_id=args.security_group_id,
                referenced_security_group_id=source,
                ip_protocol="tcp",
                from_port=PORT,
                to_port=PORT,
                description=f"{tier} tier to the cache (TLS)",
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _log_group(self, name: str, log_type: str, args: CacheArgs) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{name}-{log_type}",
            name=args.naming.log_group("cache", log_type),
            retention_in_days=args.config.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _parameter_group(self, name: str, cfg: CacheConfig, naming: Naming) -> aws.elasticache.ParameterGroup:
        family = parameter_group_family(cfg)
        parameters = cache_parameters(cfg)
        return aws.elasticache.ParameterGroup(
            f"{name}-params",
            name=parameter_group_name(naming, family, parameters),
            family=family,
            description=f"{cfg.engine} {cfg.engine_version}, cluster mode; the name changes with family and parameters",
            parameters=[{"name": key, "value": value} for key, value in sorted(parameters.items())],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )

    def _rbac(
        self, name: str, cfg: CacheConfig, naming: Naming
    ) -> tuple[aws.elasticache.UserGroup | None, aws.elasticache.User | None, str | None]:
        """A user group holding a disabled ``default`` user and the IAM-authenticated application user."""
        if cfg.auth != "iam":
            return None, None, None
        child = pulumi.ResourceOptions(parent=self)
        default_user = aws.elasticache.User(
            f"{name}-default-user",
            user_id=naming("cache", "default"),
            user_name="default",
            engine=RBAC_ENGINE,
            access_string=DEFAULT_USER_ACCESS,
            authentication_mode={"type": "no-password-required"},
            opts=child,
        )
        # IAM authentication requires user_id == user_name ("Authenticating with IAM", Limitations).
        app_user_id = naming("cache", "app")
        app_user = aws.elasticache.User(
            f"{name}-app-user",
            user_id=app_user_id,
            user_name=app_user_id,
            engine=RBAC_ENGINE,
            access_string=APP_USER_ACCESS,
            authentication_mode={"type": "iam"},
            opts=child,
        )
        group = aws.elasticache.UserGroup(
            f"{name}-users",
            user_group_id=naming("cache", "users"),
            engine=RBAC_ENGINE,
            user_ids=[default_user.user_id, app_user.user_id],
            opts=child,
        )
        return group, app_user, app_user_id

    def _auth_token(
        self, name: str, cfg: CacheConfig, naming: Naming, kms_key_arn: pulumi.Input[str]
    ) -> tuple[aws.secretsmanager.Secret | None, pulumi.Output[str] | None]:
        """A generated AUTH token kept in Secrets Manager, only when IAM cannot serve (cache.auth: token).

        The token is generated once: later runs draw a new random value, which both the
        secret version and the replication group ignore; rotate it deliberately (runbook).
        A Global Datastore secondary takes the primary's token and gets none of its own.
        """
        if cfg.auth != "token" or self.secondary:
            return None, None
        child = pulumi.ResourceOptions(parent=self)
        # AUTH tokens: 16-128 printable characters, no '/', '"' or '@' (CreateReplicationGroup
        # AuthToken, Amazon ElastiCache API reference, checked 2026-11-26): letters and digits only.
        password = aws.secretsmanager.get_random_password_output(
            password_length=64,
            exclude_punctuation=True,
            include_space=False,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        token = pulumi.Output.secret(password.random_password.apply(lambda value: value or ""))
        secret = aws.secretsmanager.Secret(
            f"{name}-auth-token",
            name=f"{naming('cache')}/auth-token",
            kms_key_id=kms_key_arn,
            description="AUTH token of the cache replication group (cache.auth: token)",
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-token-value",
            secret_id=secret.id,
            secret_string=token,
            opts=pulumi.ResourceOptions(parent=secret, ignore_changes=["secretString"]),
        )
        return secret, token

    def _replication_group(
        self,
        name: str,
        args: CacheArgs,
        subnet_group: aws.elasticache.SubnetGroup,
        auth_token: pulumi.Output[str] | None,
    ) -> aws.elasticache.ReplicationGroup:
        cfg = args.config
        return aws.elasticache.ReplicationGroup(
            f"{name}-replication-group",
            **replication_group_inputs(
                cfg,
                self.replication_group_id,
                global_replication_group_id=args.global_replication_group_id,
                global_member=args.global_member,
                final_snapshot=args.final_snapshot,
            ),
            subnet_group_name=subnet_group.name,
            security_group_ids=[args.security_group_id],
            kms_key_id=args.kms_key_arn,
            parameter_group_name=self.parameter_group.name if self.parameter_group else None,
            user_group_ids=[self.user_group.user_group_id] if self.user_group else None,
            auth_token=auth_token,
            log_delivery_configurations=[
                {
                    "destination": group.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": log_type,
                }
                for log_type, group in self.log_groups.items()
            ],
            tags={"Name": self.replication_group_id},
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, ignore_changes=member_ignore_changes(args, auth_token is not None)
            ),
        )

    def _connect_policy(self, name: str, naming: Naming) -> aws.iam.Policy | None:
        """The IAM policy a client role attaches to authenticate as the application user."""
        if self.iam_user is None:
            return None
        document = pulumi.Output.all(self.replication_group.arn, self.iam_user.arn).apply(
            lambda arns: json.dumps(connect_policy_document(arns[0], arns[1]))
        )
        return aws.iam.Policy(
            f"{name}-connect",
            name=naming("cache-connect"),
            policy=document,
            description="elasticache:Connect to this stack's cache as its IAM-authenticated application user",
            opts=pulumi.ResourceOptions(parent=self),
        )


def member_cluster_ids(replication_group_id: str, shards: int, replicas_per_shard: int) -> list[str]:
    """Node (cache cluster) ids ElastiCache gives a cluster-mode group: ``<rgid>-<shard:04>-<node:03>``.

    They are the ``CacheClusterId`` dimension of every per-node ElastiCache metric.
    """
    return [
        f"{replication_group_id}-{shard:04d}-{node:03d}"
        for shard in range(1, shards + 1)
        for node in range(1, replicas_per_shard + 2)
    ]


def parameter_group_family(cfg: CacheConfig) -> str:
    family = engine_catalog().family(cfg.engine, cfg.engine_version)
    if family is None:  # config rules reject this before the program runs
        raise ValueError(f"no parameter group family for {cfg.engine} {cfg.engine_version}")
    return family


def cache_parameters(cfg: CacheConfig) -> dict[str, str]:
    """Engine parameters that differ from the family's defaults (cluster mode on, the eviction policy)."""
    return {"cluster-enabled": "yes", "maxmemory-policy": cfg.maxmemory_policy}


def parameter_group_name(naming: Naming, family: str, parameters: Mapping[str, str]) -> str:
    """``sp-<stack>-cache-<family>-<hash>``: changes with the family or any parameter value."""
    digest = hashlib.sha256(json.dumps({"family": family, "parameters": dict(sorted(parameters.items()))}).encode())
    slug = re.sub(r"[^a-z0-9]", "", family.lower())
    return f"{naming('cache')}-{slug}-{digest.hexdigest()[:8]}"


def member_ignore_changes(args: CacheArgs, has_auth_token: bool) -> list[str] | None:
    """What the program must not try to change back: the generated token, and on a Global Datastore's
    primary member what the global group holds (see the module docstring)."""
    ignored = ["authToken"] if has_auth_token else []
    if args.global_member and args.global_replication_group_id is None:
        ignored.extend(GLOBAL_HELD)
    return ignored or None


def global_datastore_settings(cfg: CacheConfig) -> dict[str, Any]:
    """The Global Datastore's own arguments: scaling and version of EVERY member go through it
    (ModifyGlobalReplicationGroup and its shard configuration), never through one member."""
    return {"engine_version": cfg.engine_version, "cache_node_type": cfg.node_type, "num_node_groups": cfg.shards}


def replication_group_inputs(
    cfg: CacheConfig,
    replication_group_id: str,
    *,
    global_replication_group_id: pulumi.Input[str] | None,
    final_snapshot: bool,
    global_member: bool = False,
) -> dict[str, Any]:
    """The replication group's own arguments; a Global Datastore secondary leaves out what it inherits."""
    inputs: dict[str, Any] = {
        "replication_group_id": replication_group_id,
        "description": f"{replication_group_id}: streaming state and lookups ({cfg.engine}, cluster mode)",
        "replicas_per_node_group": cfg.replicas_per_shard,
        "automatic_failover_enabled": True,
        "multi_az_enabled": True,
        "snapshot_retention_limit": cfg.snapshot_retention_days,
        "snapshot_window": cfg.snapshot_window,
        "maintenance_window": cfg.maintenance_window,
        # Joining a Global Datastore turns it off (#24919): members declare what AWS holds.
        "auto_minor_version_upgrade": not global_member,
        # Apply now: a change deferred to the maintenance window would leave the old parameter
        # group in use when the program deletes it after creating the new one.
        "apply_immediately": True,
        "final_snapshot_identifier": f"{replication_group_id}-final" if final_snapshot else None,
    }
    if global_replication_group_id is not None:
        return {**inputs, "global_replication_group_id": global_replication_group_id}
    return {
        **inputs,
        "port": PORT,
        "engine": cfg.engine,
        "engine_version": cfg.engine_version,
        "node_type": cfg.node_type,
        "cluster_mode": "enabled",
        "num_node_groups": cfg.shards,
        "at_rest_encryption_enabled": True,
        "transit_encryption_enabled": True,
        "transit_encryption_mode": "required",
    }


def connect_policy_document(replication_group_arn: str, user_arn: str) -> dict[str, Any]:
    """elasticache:Connect on exactly this replication group and user ("Authenticating with IAM", Setup)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConnectAsTheApplicationUser",
                "Effect": "Allow",
                "Action": ["elasticache:Connect"],
                "Resource": [replication_group_arn, user_arn],
            }
        ],
    }


def build(foundation: Foundation, global_replication_group_id: pulumi.Input[str] | None = None) -> Built[Cache]:
    """Create the stack's cache, admitting the processing (Spark) and ingest tiers (and the RPO canary).

    A warm standby's cache joins the Global Datastore its primary created (``global_replication_group_id``).
    """
    config, net = foundation.config, foundation.network
    cfg = config.cache
    cache = Cache(
        "cache",
        CacheArgs(
            config=cfg,
            naming=foundation.naming,
            subnet_ids=[subnet.id for subnet in net.subnets["private-data"]],
            security_group_id=net.security_groups["cache"].id,
            client_security_groups={tier: net.security_groups[tier].id for tier in client_tiers(config)},
            kms_key_arn=foundation.key.key.arn,
            protect=config.tier == "prod",
            final_snapshot=config.tier != "dev",
            global_replication_group_id=global_replication_group_id,
            global_member=config.dr.strategy == "warm-standby",
        ),
        foundation.opts(),
    )
    alarms = cache_alarms(cache.member_cluster_ids, cache.replication_group_id, config.observability)
    return Built(cache, stack_outputs(cache, cfg), tuple(alarms))


def stack_outputs(cache: Cache, cfg: CacheConfig) -> dict[str, Any]:
    return {
        "cacheReplicationGroupId": cache.replication_group_id,
        "cacheReplicationGroupArn": cache.replication_group.arn,
        "cacheConfigurationEndpoint": cache.configuration_endpoint,
        "cachePort": cache.port,
        "cacheEngine": cfg.engine,
        "cacheEngineVersion": cfg.engine_version,
        "cacheNodeType": cfg.node_type,
        "cacheShards": cfg.shards,
        "cacheReplicasPerShard": cfg.replicas_per_shard,
        "cacheMemberClusters": cache.member_cluster_ids,
        "cacheAuth": cfg.auth,
        "cacheIamUserId": cache.iam_user_id,
        "cacheIamUserArn": cache.iam_user.arn if cache.iam_user else None,
        "cacheUserGroupId": cache.user_group.user_group_id if cache.user_group else None,
        "cacheConnectPolicyArn": cache.connect_policy.arn if cache.connect_policy else None,
        "cacheAuthSecretArn": cache.auth_secret.arn if cache.auth_secret else None,
        "cacheParameterGroupName": cache.parameter_group.name if cache.parameter_group else None,
        "cacheLogGroups": {log_type: group.name for log_type, group in cache.log_groups.items()},
    }
