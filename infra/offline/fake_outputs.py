"""Realistic outputs the mock runtime returns for each resource type.

Without them every output the program reads (ARNs, endpoints, DNS names) would be None,
and the inputs built from them would silently vanish from the plan. Each entry maps a
type token to a function of (logical name, inputs, context) returning the extra outputs;
every resource also gets ``id``, ``arn`` and its inputs echoed back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class FakeContext:
    region: str
    account_id: str = ACCOUNT_ID

    def short_id(self, name: str, length: int = 8) -> str:
        """A stable pseudo-random id so plans are reproducible run to run."""
        return hashlib.sha256(f"{self.region}/{name}".encode()).hexdigest()[:length]


Fake = Callable[[str, dict[str, Any], FakeContext], dict[str, Any]]

# AWS service namespace per type-token module, where it differs from the module name.
_SERVICE = {
    "ec2": "ec2",
    "lb": "elasticloadbalancing",
    "cloudwatch": "cloudwatch",
    "emr": "elasticmapreduce",
    "msk": "kafka",
    "appautoscaling": "application-autoscaling",
    "ecs": "ecs",
    "vpc": "ec2",
    "wafv2": "wafv2",
    "backup": "backup",
    "route53": "route53",
    "cloudwatchlogs": "logs",
}


def generic(type_token: str, name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """id and arn for any AWS resource, derived from its type and name."""
    module = type_token.split(":")[1].split("/")[0]
    kind = type_token.rsplit(":", 1)[1]
    resource_name = inputs.get("name") or f"{name}-{ctx.short_id(name, 6)}"
    service = _SERVICE.get(module, module)
    return {
        "id": f"{kind[:4].lower()}-{ctx.short_id(type_token + name, 17)}",
        "arn": f"arn:aws:{service}:{ctx.region}:{ctx.account_id}:{kind.lower()}/{resource_name}",
    }


def _az_names(region: str) -> list[str]:
    return [f"{region}{suffix}" for suffix in "abcdef"]


def _vpc(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {
        "defaultSecurityGroupId": f"sg-default{ctx.short_id(name, 9)}",
        "mainRouteTableId": f"rtb-{ctx.short_id(name + 'main', 17)}",
    }


def _subnet(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": f"subnet-{ctx.short_id(name, 17)}"}


def _security_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": f"sg-{ctx.short_id(name, 17)}"}


def _kms_key(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    key_id = f"{ctx.short_id(name, 8)}-{ctx.short_id(name + '1', 4)}-4{ctx.short_id(name + '2', 3)}-8{ctx.short_id(name + '3', 3)}-{ctx.short_id(name + '4', 12)}"
    return {"id": key_id, "keyId": key_id, "arn": f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{key_id}"}


def _log_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    group = inputs.get("name", name)
    return {"id": group, "arn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group}"}


def _iam_role(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    role = inputs.get("name", name)
    return {
        "id": role,
        "arn": f"arn:aws:iam::{ctx.account_id}:role/{role}",
        "uniqueId": f"AROA{ctx.short_id(name, 16).upper()}",
    }


def _bucket(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    bucket = inputs.get("bucket", name)
    return {
        "id": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
        "region": inputs.get("region", ctx.region),
    }


def _uuid(ctx: FakeContext, seed: str) -> str:
    return "-".join(ctx.short_id(f"{seed}/{i}", n) for i, n in enumerate((8, 4, 4, 4, 12)))


def _msk_cluster(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """Bootstrap strings per listener, as MSK returns them for the enabled auth and encryption."""
    cluster = inputs.get("clusterName", name)
    uuid = f"{_uuid(ctx, cluster)}-2"
    brokers = int(inputs.get("numberOfBrokerNodes", 3))
    domain = f"{cluster}.{ctx.short_id(cluster, 6)}.c2.kafka.{ctx.region}.amazonaws.com"

    def listeners(prefix: str, port: int, count: int) -> str:
        return ",".join(f"{prefix}-{i}.{domain}:{port}" for i in range(1, count + 1))

    sasl = (inputs.get("clientAuthentication") or {}).get("sasl") or {}
    outputs: dict[str, Any] = {
        "arn": f"arn:aws:kafka:{ctx.region}:{ctx.account_id}:cluster/{cluster}/{uuid}",
        "clusterUuid": uuid,
        "currentVersion": f"K{ctx.short_id(cluster + 'version', 13).upper()}",
        "bootstrapBrokersTls": listeners("b", 9094, brokers),
        "bootstrapBrokersSaslIam": listeners("b", 9098, brokers) if sasl.get("iam") else "",
        "bootstrapBrokersSaslScram": listeners("b", 9096, brokers) if sasl.get("scram") else "",
    }
    if not str(inputs.get("kafkaVersion", "")).endswith(".kraft"):
        outputs["zookeeperConnectString"] = listeners("z", 2181, 3)
        outputs["zookeeperConnectStringTls"] = listeners("z", 2182, 3)
    return outputs


def _msk_configuration(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    configuration = inputs.get("name", name)
    return {
        "arn": f"arn:aws:kafka:{ctx.region}:{ctx.account_id}:configuration/{configuration}/{_uuid(ctx, configuration)}-2",
        "latestRevision": 1,
    }


def _msk_topic(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic>."""
    cluster_arn, topic = str(inputs.get("clusterArn", "")), inputs.get("name", name)
    return {"id": f"{cluster_arn},{topic}", "arn": f"{cluster_arn.replace(':cluster/', ':topic/', 1)}/{topic}"}


def _secret(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    secret = inputs.get("name", name)
    arn = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account_id}:secret:{secret}-{ctx.short_id(secret, 6)}"
    return {"id": arn, "arn": arn}


def _secret_version(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    version = _uuid(ctx, name)
    return {"id": f"{inputs.get('secretId')}|{version}", "arn": inputs.get("secretId"), "versionId": version}


def _region_code(region: str) -> str:
    """``us-east-1`` -> ``use1``: the region part of ElastiCache endpoint names."""
    area, direction, number = region.split("-")
    return f"{area}{direction[0]}{number}"


def _elasticache_arn(ctx: FakeContext, kind: str, resource_id: str) -> str:
    return f"arn:aws:elasticache:{ctx.region}:{ctx.account_id}:{kind}:{resource_id}"


def _replication_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """Cluster-mode group: configuration endpoint and node ids <rgid>-<shard:04>-<node:03>."""
    group = str(inputs.get("replicationGroupId", name)).lower()
    shards, replicas = int(inputs.get("numNodeGroups") or 1), int(inputs.get("replicasPerNodeGroup") or 0)
    return {
        "id": group,
        "arn": _elasticache_arn(ctx, "replicationgroup", group),
        "configurationEndpointAddress": f"clustercfg.{group}.{ctx.short_id(group, 6)}.{_region_code(ctx.region)}.cache.amazonaws.com",
        "memberClusters": [f"{group}-{s:04d}-{n:03d}" for s in range(1, shards + 1) for n in range(1, replicas + 2)],
        "clusterEnabled": True,
        "engineVersionActual": f"{inputs.get('engineVersion', '8.2')}.0",
        "port": int(inputs.get("port") or 6379),
    }


def _elasticache_named(kind: str, id_input: str) -> Fake:
    def fake(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
        resource_id = str(inputs.get(id_input, name))
        return {"id": resource_id, "arn": _elasticache_arn(ctx, kind, resource_id)}

    return fake


def _iam_policy(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ctx.account_id}:policy/{inputs.get('name', name)}"
    return {"id": arn, "arn": arn, "policyId": f"ANPA{ctx.short_id(name, 16).upper()}"}


def _sns_topic(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    arn = f"arn:aws:sns:{ctx.region}:{ctx.account_id}:{inputs.get('name', name)}"
    return {"id": arn, "arn": arn}


def _metric_alarm(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    alarm = inputs.get("name", name)
    return {"id": alarm, "arn": f"arn:aws:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:{alarm}"}


def _dashboard(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    dashboard = inputs.get("dashboardName", name)
    return {"id": dashboard, "dashboardArn": f"arn:aws:cloudwatch::{ctx.account_id}:dashboard/{dashboard}"}


# Canonical hosted zones of ELB DNS names, for alias records (Amazon Web Services General Reference,
# "Elastic Load Balancing endpoints and quotas", checked 2026-11-26); other regions get a stand-in.
_ELB_ZONES = {
    ("application", "us-east-1"): "Z35SXDOTRQ7X7K",
    ("application", "us-west-2"): "Z1H1FL5HABSF5",
    ("application", "eu-west-1"): "Z32O12XQLNTSW2",
    ("network", "us-east-1"): "Z26RNL4JYFTOTI",
    ("network", "us-west-2"): "Z18D5FSROUN65G",
    ("network", "eu-west-1"): "Z2IFOLAFXWLO4F",
}


def _load_balancer(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """ARN, arn_suffix (app|net/<name>/<id>, the CloudWatch dimension), DNS name and its zone."""
    kind = inputs.get("loadBalancerType", "application")
    lb = inputs.get("name", name)
    suffix = f"{'net' if kind == 'network' else 'app'}/{lb}/{ctx.short_id(lb, 16)}"
    dns = (
        f"{lb}-{ctx.short_id(lb, 16)}.elb.{ctx.region}.amazonaws.com"
        if kind == "network"
        else f"{lb}-{int(ctx.short_id(lb, 8), 16) % 10**10}.{ctx.region}.elb.amazonaws.com"
    )
    arn = f"arn:aws:elasticloadbalancing:{ctx.region}:{ctx.account_id}:loadbalancer/{suffix}"
    zone = _ELB_ZONES.get((kind, ctx.region), f"Z{ctx.short_id(kind + ctx.region, 13).upper()}")
    return {"id": arn, "arn": arn, "arnSuffix": suffix, "dnsName": dns, "zoneId": zone}


def _target_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """An auto-named group gets <logical name>-<7 chars>, as Pulumi's auto-naming would."""
    group = inputs.get("name") or f"{name}-{ctx.short_id(name, 7)}"
    suffix = f"targetgroup/{group}/{ctx.short_id(group, 16)}"
    arn = f"arn:aws:elasticloadbalancing:{ctx.region}:{ctx.account_id}:{suffix}"
    return {"id": arn, "arn": arn, "arnSuffix": suffix, "name": group}


def _listener(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    lb_arn = str(inputs.get("loadBalancerArn", ""))
    arn = f"{lb_arn.replace(':loadbalancer/', ':listener/', 1)}/{ctx.short_id(name, 16)}"
    return {"id": arn, "arn": arn}


def _certificate(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """One DNS validation CNAME per name of the certificate."""
    names = [inputs.get("domainName", name), *(inputs.get("subjectAlternativeNames") or [])]
    arn = f"arn:aws:acm:{ctx.region}:{ctx.account_id}:certificate/{_uuid(ctx, name)}"

    # ACM gives a domain the same validation CNAME in every region of an account
    # (https://github.com/hashicorp/terraform-provider-aws/issues/13653, checked 2026-12-02):
    # the record depends on account and domain only.
    def token(text: str, length: int) -> str:
        return hashlib.sha256(f"{ctx.account_id}/{text}".encode()).hexdigest()[:length]

    options = [
        {
            "domainName": domain,
            "resourceRecordName": f"_{token(domain, 32)}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{token(domain + 'v', 32)}.{token(domain + 'w', 10)}.acm-validations.aws.",
        }
        for domain in names
    ]
    return {"id": arn, "arn": arn, "domainValidationOptions": options, "status": "PENDING_VALIDATION"}


def _certificate_validation(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": inputs.get("certificateArn", name)}


def _route53_record(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    record = str(inputs.get("name", name)).rstrip(".")
    return {"id": f"{inputs.get('zoneId')}_{record}_{inputs.get('type')}", "fqdn": record}


def _web_acl(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    acl, acl_id = inputs.get("name", name), _uuid(ctx, name)
    scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
    return {
        "id": acl_id,
        "arn": f"arn:aws:wafv2:{ctx.region}:{ctx.account_id}:{scope}/webacl/{acl}/{acl_id}",
        "capacity": 1000,
    }


def _ecs_cluster(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    arn = f"arn:aws:ecs:{ctx.region}:{ctx.account_id}:cluster/{inputs.get('name', name)}"
    return {"id": arn, "arn": arn}


def _ecs_service(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    cluster = str(inputs.get("cluster", "default")).rsplit("/", 1)[-1]
    arn = f"arn:aws:ecs:{ctx.region}:{ctx.account_id}:service/{cluster}/{inputs.get('name', name)}"
    return {"id": arn, "arn": arn}


def _task_definition(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    family = inputs.get("family", name)
    without_revision = f"arn:aws:ecs:{ctx.region}:{ctx.account_id}:task-definition/{family}"
    # The provider's id is the family name; the ARN is used here so plan snapshots never mistake
    # another resource's equal name (the ingest security group, the service) for a reference to it.
    return {
        "id": f"{without_revision}:1",
        "arn": f"{without_revision}:1",
        "arnWithoutRevision": without_revision,
        "revision": 1,
    }


def _scaling_target(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    arn = f"arn:aws:application-autoscaling:{ctx.region}:{ctx.account_id}:scalable-target/{ctx.short_id(name, 32)}"
    return {"id": inputs.get("resourceId", name), "arn": arn}


def _scaling_policy(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    policy = inputs.get("name", name)
    arn = (
        f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:scalingPolicy:{_uuid(ctx, name)}:"
        f"resource/{inputs.get('serviceNamespace')}/{inputs.get('resourceId')}:policyName/{policy}"
    )
    return {"id": policy, "arn": arn, "alarmArns": []}


def _emr_cluster(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """EMR cluster ids look like j-<13 upper-case alphanumerics>; the primary's DNS name is private."""
    cluster_id = f"j-{ctx.short_id(name, 13).upper()}"
    return {
        "id": cluster_id,
        "arn": f"arn:aws:elasticmapreduce:{ctx.region}:{ctx.account_id}:cluster/{cluster_id}",
        "clusterState": "WAITING",
        "masterPublicDns": f"ip-10-0-{int(ctx.short_id(name, 2), 16) % 256}-10.{ctx.region}.compute.internal",
    }


def _emr_instance_fleet(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {
        "id": f"if-{ctx.short_id(name, 13).upper()}",
        "provisionedOnDemandCapacity": 0,
        "provisionedSpotCapacity": 0,
    }


def _emr_security_configuration(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    configuration = inputs.get("name", name)
    return {"id": configuration, "name": configuration, "creationDate": "2026-11-26T00:00:00Z"}


def _instance_profile(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    profile = inputs.get("name", name)
    return {
        "id": profile,
        "arn": f"arn:aws:iam::{ctx.account_id}:instance-profile/{profile}",
        "uniqueId": f"AIPA{ctx.short_id(name, 16).upper()}",
    }


def _bucket_object(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    key = inputs.get("key", name)
    return {"id": key, "arn": f"arn:aws:s3:::{inputs.get('bucket')}/{key}", "versionId": ctx.short_id(name, 32)}


def _fis_experiment_template(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """FIS template ids are ``EXT`` + 14 alphanumerics (e.g. EXT3tD8Vq2XJ7sLkm)."""
    template_id = f"EXT{ctx.short_id(name, 14).upper()}"
    return {"id": template_id, "arn": f"arn:aws:fis:{ctx.region}:{ctx.account_id}:experiment-template/{template_id}"}


# --- disaster recovery (infra/components/dr.py, backup.py, replication.py, failover.py) ---------------
# Global Datastore ids start with a prefix per primary region ("Using the AWS CLI with global
# datastores", Amazon ElastiCache user guide, checked 2026-11-26).
_GLOBAL_DATASTORE_PREFIX = {
    "us-east-1": "ldgnf",
    "us-east-2": "virxk",
    "us-west-1": "fpkhr",
    "us-west-2": "sgaui",
    "eu-west-1": "iudkw",
    "eu-central-1": "iemxf",
}
# An ARC cluster answers on five regional endpoints ("Route 53 ARC cluster endpoints", checked 2026-11-26).
_ARC_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-2")


def _backup_vault(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    vault = inputs.get("name", name)
    return {
        "id": vault,
        "arn": f"arn:aws:backup:{ctx.region}:{ctx.account_id}:backup-vault:{vault}",
        "recoveryPoints": 0,
    }


def _backup_plan(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    plan_id = _uuid(ctx, name)
    return {
        "id": plan_id,
        "arn": f"arn:aws:backup:{ctx.region}:{ctx.account_id}:backup-plan:{plan_id}",
        "version": ctx.short_id(name, 32),
    }


def _backup_selection(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": _uuid(ctx, name)}


def _vault_lock(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    vault = inputs.get("backupVaultName", name)
    return {"id": vault, "backupVaultArn": f"arn:aws:backup:{ctx.region}:{ctx.account_id}:backup-vault:{vault}"}


def _msk_replicator(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    replicator = inputs.get("replicatorName", name)
    arn = f"arn:aws:kafka:{ctx.region}:{ctx.account_id}:replicator/{replicator}/{_uuid(ctx, replicator)}-2"
    return {"id": arn, "arn": arn, "currentVersion": f"K{ctx.short_id(replicator, 13).upper()}"}


def _msk_cluster_policy(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    return {"id": inputs.get("clusterArn", name), "currentVersion": f"K{ctx.short_id(name, 13).upper()}"}


def _global_replication_group(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    prefix = _GLOBAL_DATASTORE_PREFIX.get(ctx.region, ctx.short_id(ctx.region, 5))
    group_id = f"{prefix}-{inputs.get('globalReplicationGroupIdSuffix', name)}"
    return {
        "id": group_id,
        "globalReplicationGroupId": group_id,
        "arn": f"arn:aws:elasticache::{ctx.account_id}:globalreplicationgroup:{group_id}",
        "clusterEnabled": True,
        "transitEncryptionEnabled": True,
        "atRestEncryptionEnabled": True,
    }


def _health_check(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    check_id = _uuid(ctx, name)
    return {"id": check_id, "arn": f"arn:aws:route53:::healthcheck/{check_id}"}


def _arc_arn(ctx: FakeContext, path: str) -> str:
    return f"arn:aws:route53-recovery-control::{ctx.account_id}:{path}"


def _arc_cluster(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    cluster_id = ctx.short_id(name, 32)
    endpoints = [
        {
            "endpoint": f"https://host-{ctx.short_id(name + region, 6)}.{region}.example.route53-recovery-cluster.amazonaws.com/v1",
            "region": region,
        }
        for region in _ARC_REGIONS
    ]
    arn = _arc_arn(ctx, f"cluster/{cluster_id}")
    return {"id": arn, "arn": arn, "clusterEndpoints": endpoints, "status": "DEPLOYED"}


def _arc_control_panel(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    arn = _arc_arn(ctx, f"controlpanel/{ctx.short_id(name, 32)}")
    return {"id": arn, "arn": arn, "defaultControlPanel": False, "routingControlCount": 0, "status": "DEPLOYED"}


def _arc_child(kind: str) -> Fake:
    def fake(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
        panel = str(inputs.get("controlPanelArn") or _arc_arn(ctx, "controlpanel/default"))
        arn = f"{panel}/{kind}/{ctx.short_id(name, 16)}"
        return {"id": arn, "arn": arn, "status": "DEPLOYED"}

    return fake


def _state_machine(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    arn = f"arn:aws:states:{ctx.region}:{ctx.account_id}:stateMachine:{inputs.get('name', name)}"
    return {"id": arn, "arn": arn, "status": "ACTIVE", "revisionId": ctx.short_id(name, 32)}


def _schedule(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    schedule, group = inputs.get("name", name), inputs.get("groupName") or "default"
    return {
        "id": f"{group}/{schedule}",
        "arn": f"arn:aws:scheduler:{ctx.region}:{ctx.account_id}:schedule/{group}/{schedule}",
    }


def _event_rule(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    rule = inputs.get("name", name)
    return {"id": rule, "arn": f"arn:aws:events:{ctx.region}:{ctx.account_id}:rule/{rule}"}


def _listener_rule(name: str, inputs: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    listener = str(inputs.get("listenerArn", "")).replace(":listener/", ":listener-rule/", 1)
    arn = f"{listener}/{ctx.short_id(name, 16)}"
    return {"id": arn, "arn": arn}


FAKES: dict[str, Fake] = {
    "aws:emr/cluster:Cluster": _emr_cluster,
    "aws:emr/instanceFleet:InstanceFleet": _emr_instance_fleet,
    "aws:emr/securityConfiguration:SecurityConfiguration": _emr_security_configuration,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
    "aws:s3/bucketObjectv2:BucketObjectv2": _bucket_object,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/record:Record": _route53_record,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:appautoscaling/target:Target": _scaling_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:msk/configuration:Configuration": _msk_configuration,
    "aws:msk/topic:Topic": _msk_topic,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/user:User": _elasticache_named("user", "userId"),
    "aws:elasticache/userGroup:UserGroup": _elasticache_named("usergroup", "userGroupId"),
    "aws:elasticache/parameterGroup:ParameterGroup": _elasticache_named("parametergroup", "name"),
    "aws:elasticache/subnetGroup:SubnetGroup": _elasticache_named("subnetgroup", "name"),
    "aws:iam/policy:Policy": _iam_policy,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:fis/experimentTemplate:ExperimentTemplate": _fis_experiment_template,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:backup/selection:Selection": _backup_selection,
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _vault_lock,
    "aws:msk/replicator:Replicator": _msk_replicator,
    "aws:msk/clusterPolicy:ClusterPolicy": _msk_cluster_policy,
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": _global_replication_group,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53recoverycontrol/cluster:Cluster": _arc_cluster,
    "aws:route53recoverycontrol/controlPanel:ControlPanel": _arc_control_panel,
    "aws:route53recoverycontrol/routingControl:RoutingControl": _arc_child("routingcontrol"),
    "aws:route53recoverycontrol/safetyRule:SafetyRule": _arc_child("safetyrule"),
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
}


def invoke_result(token: str, args: dict[str, Any], ctx: FakeContext) -> dict[str, Any]:
    """Results of the data-source calls the program makes, shaped like the real ones."""
    region = args.get("region") or ctx.region
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        names = _az_names(region)
        return {
            "names": names,
            "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{i + 1}" for i in range(len(names))],
            "id": region,
            "region": region,
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ctx.account_id,
            "arn": f"arn:aws:iam::{ctx.account_id}:user/ci",
            "userId": "AIDAEXAMPLE",
            "id": ctx.account_id,
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "name": region,
            "region": region,
            "id": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        }
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    if token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
        length = int(args.get("passwordLength") or 32)
        password = hashlib.sha256(f"{ctx.region}/{sorted(args.items())}".encode()).hexdigest()
        return {"randomPassword": (password * 2)[:length], "id": ctx.region, **args}
    if token == "aws:s3/getCanonicalUserId:getCanonicalUserId":
        # The account's canonical user id: 64 hex characters (S3 "Finding an AWS account canonical user ID").
        return {"id": hashlib.sha256(f"canonical/{ctx.account_id}".encode()).hexdigest(), "displayName": "platform"}
    raise NotImplementedError(
        f"the mock runtime has no result for invoke {token}: add one in infra/offline/fake_outputs.py"
    )
