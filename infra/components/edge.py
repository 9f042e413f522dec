"""The edge: an internet-facing ALB (HTTPS + WAF) and an NLB (TLS) in front of the ingest service.

Clients POST events to the ALB; streaming clients keep websocket connections open through the
NLB's TLS listener (no ALB request routing or WAF in that path, static addresses per AZ). Both
forward to the gateway's ingest port only; health checks go to its service port, which clients
can never reach. The NLB has its own security group (NLBs accept one only at creation), so the
ingest security group can name the ALB and the NLB as its only sources. TLS comes from
edge.certificateArn, or an ACM certificate this component issues and validates in Route 53
(edge.domainName + edge.hostedZoneId). A stack without either serves plain HTTP (never prod: a
config rule refuses it) and says so in the plan. DNS names for the domain are left to the
DR/traffic tier: prod and prod-dr share the name and need failover records, not two aliases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from infra.components.foundation import Built, Foundation
from infra.components.observability import LoadBalancerTarget, edge_alarms
from infra.components.storage import ALB_LOG_PREFIX, LB_LOGS, NLB_LOG_PREFIX, Storage
from infra.config.schema import EdgeConfig, Tier
from infra.naming import Naming

TlsSource = Literal["certificate-arn", "acm-dns", "none"]
HTTP_PORT = 80
HTTPS_PORT = 443
STREAM_SUBDOMAIN = "stream"
ANYWHERE_IPV4 = "0.0.0.0/0"
# Rate-based rules count requests over this window; edge.wafRateLimit is per IP per window
# (AWS WAF developer guide, "Rate-based rule statement", EvaluationWindowSec 60/120/300/600,
# checked 2026-11-26).
WAF_RATE_WINDOW_SECONDS = 300
# The core rule set blocks request bodies over 8 KB (AWS WAF developer guide, "Core rule set (CRS)
# managed rule group", rule SizeRestrictions_BODY, checked 2026-11-26). Event batches are larger
# by design, so that one rule only counts; the gateway bounds message size (max_message_bytes).
CRS_RULES_TO_COUNT = ("SizeRestrictions_BODY",)
ANONYMOUS_RULES_TO_COUNT = ("HostingProviderIPList",)
"""Producers run in clouds: hosting-provider addresses are counted, VPN, Tor and proxies blocked
(https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html, checked 2026-12-02)."""
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


@dataclass(frozen=True)
class EdgeArgs:
    config: EdgeConfig
    tier: Tier
    naming: Naming
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    alb_security_group_id: pulumi.Input[str]
    ingest_security_group_id: pulumi.Input[str]
    target_port: int
    """The gateway's ingest port (ingest.containerPort)."""
    health_check_port: int
    """The gateway's service port (ingest.adminPort)."""
    health_check_path: str
    access_logs_bucket: pulumi.Input[str]
    alb_log_prefix: str
    nlb_log_prefix: str
    access_logs_ready: Sequence[pulumi.Resource]
    """What must exist before the LBs enable access logs (AWS test-writes the prefix at once)."""
    kms_key_arn: pulumi.Input[str]
    """Encrypts the web ACL's log group."""
    log_retention_days: int
    """Retention of the web ACL's log group (the ingest tier's)."""
    owns_validation_records: bool = True
    """Create the ACM validation CNAMEs in Route 53. False on a warm standby: the records are the
    primary's (see ``_certificate``); its certificate validation waits on the same names."""


class Edge(pulumi.ComponentResource):
    """The stack's load balancers, their listeners and target groups, and the ALB's web ACL."""

    alb: aws.lb.LoadBalancer
    alb_target_group: aws.lb.TargetGroup
    http_listener: aws.lb.Listener
    https_listener: aws.lb.Listener | None
    nlb: aws.lb.LoadBalancer | None
    nlb_target_group: aws.lb.TargetGroup | None
    nlb_listener: aws.lb.Listener | None
    nlb_security_group: aws.ec2.SecurityGroup | None
    web_acl: aws.wafv2.WebAcl
    certificate_arn: pulumi.Output[str] | None
    tls_source: TlsSource
    tls_summary: str

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:edge:Edge", name, None, opts)
        cfg, naming = args.config, args.naming
        prod = args.tier == "prod"
        self.tls_source = tls_source(cfg)
        self.tls_summary = tls_summary(self.tls_source, cfg.ssl_policy, args.tier)
        tls = self.tls_source != "none"
        if not tls:
            plain = "the ALB serves HTTP only" + (" and the NLB plain TCP" if cfg.nlb else "")
            pulumi.log.warn(
                f"edge: no certificate for stack {naming.stack}: {plain} "
                "(set edge.certificateArn, or edge.domainName with edge.hostedZoneId)"
            )
        child = pulumi.ResourceOptions(parent=self)
        self.certificate_arn = self._certificate(name, args, child)

        for port in public_ports(tls):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-from-internet-{port}",
                security_group_id=args.alb_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=ANYWHERE_IPV4,
                description=f"public listener port {port}",
                opts=child,
            )
        lb_opts = pulumi.ResourceOptions(parent=self, protect=prod, depends_on=list(args.access_logs_ready))
        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=naming("alb"),
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[args.alb_security_group_id],
            subnets=list(args.public_subnet_ids),
            drop_invalid_header_fields=True,
            enable_deletion_protection=prod,
            enable_http2=True,
            access_logs={"bucket": args.access_logs_bucket, "prefix": args.alb_log_prefix, "enabled": True},
            tags={"Name": naming("alb")},
            opts=lb_opts,
        )
        # No explicit name: a change that replaces a target group (port, protocol) must create the
        # new one before deleting the old, which a fixed name would forbid.
        self.alb_target_group = aws.lb.TargetGroup(
            f"{name}-alb-tg",
            target_type="ip",
            protocol="HTTP",
            port=args.target_port,
            vpc_id=args.vpc_id,
            deregistration_delay=cfg.deregistration_delay_seconds,
            load_balancing_algorithm_type="least_outstanding_requests",
            health_check={
                "enabled": True,
                "protocol": "HTTP",
                "port": str(args.health_check_port),
                "path": args.health_check_path,
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags={"Name": naming("ingest-alb")},
            opts=child,
        )
        forward = [{"type": "forward", "target_group_arn": self.alb_target_group.arn}]
        if tls:
            self.https_listener = aws.lb.Listener(
                f"{name}-alb-https",
                load_balancer_arn=self.alb.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=cfg.ssl_policy,
                certificate_arn=self.certificate_arn,
                default_actions=forward,
                tags={"Name": naming("alb-https")},
                opts=child,
            )
            http_actions: list[dict[str, Any]] = [
                {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTPS", "port": str(HTTPS_PORT), "status_code": "HTTP_301"},
                }
            ]
        else:
            self.https_listener = None
            http_actions = forward
        self.http_listener = aws.lb.Listener(
            f"{name}-alb-http",
            load_balancer_arn=self.alb.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=http_actions,
            tags={"Name": naming("alb-http")},
            opts=child,
        )

        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            name=naming("waf"),
            scope="REGIONAL",
            description=f"{naming('alb')}: managed rules and a per-IP rate limit",
            default_action={"allow": {}},
            rules=waf_rules(cfg.waf_rate_limit, naming("waf")),
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": naming("waf"),
                "sampled_requests_enabled": True,
            },
            tags={"Name": naming("waf")},
            opts=child,
        )
        # WAF logs only to a log group named aws-waf-logs-*; the token producers send is redacted
        # (https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html, checked 2026-12-02).
        waf_logs = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=f"{WAF_LOG_GROUP_PREFIX}{naming('waf')}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self.web_acl),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[waf_logs.arn],
            redacted_fields=[{"single_header": {"name": "authorization"}}],
            opts=pulumi.ResourceOptions(parent=self.web_acl),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf-alb",
            resource_arn=self.alb.arn,
            web_acl_arn=self.web_acl.arn,
            opts=pulumi.ResourceOptions(parent=self.web_acl),
        )

        self.nlb = self.nlb_target_group = self.nlb_listener = self.nlb_security_group = None
        if cfg.nlb:
            self._network_load_balancer(name, args, tls, lb_opts, child)
        self.register_outputs(
            {
                "albArn": self.alb.arn,
                "albDnsName": self.alb.dns_name,
                "nlbArn": self.nlb.arn if self.nlb else None,
                "wafWebAclArn": self.web_acl.arn,
                "tls": self.tls_summary,
            }
        )

    @property
    def listeners(self) -> list[aws.lb.Listener]:
        """Every listener: the ECS service waits for them (a target group needs a load balancer first)."""
        found = [self.http_listener, self.https_listener, self.nlb_listener]
        return [listener for listener in found if listener is not None]

    def _certificate(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions) -> pulumi.Output[str] | None:
        cfg = args.config
        if self.tls_source == "certificate-arn":
            return pulumi.Output.from_input(str(cfg.certificate_arn))
        if self.tls_source == "none":
            return None
        domain, zone = str(cfg.domain_name), str(cfg.hosted_zone_id)
        names = certificate_names(domain, cfg.nlb)
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=names[0],
            subject_alternative_names=names[1:],
            validation_method="DNS",
            tags={"Name": args.naming("edge")},
            opts=opts,
        )
        record_opts = pulumi.ResourceOptions(parent=certificate)
        options = [
            certificate.domain_validation_options.apply(lambda options, d=fqdn: validation_option(options, d))
            for fqdn in names
        ]
        # ACM gives a domain the same validation CNAME in every region of an account, so prod and
        # prod-dr validate with ONE record (terraform-provider-aws#13653: "funnel the DNS record
        # handling to a single record"; https://github.com/hashicorp/terraform-provider-aws/issues/13653,
        # https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html, checked 2026-12-02).
        # Its one owner is the primary: were both stacks to create it, destroying either would delete
        # it and the other region's certificate would fail its next renewal. The standby's validation
        # only waits for the names; allow_overwrite lets the primary adopt a record made before.
        fqdns: list[pulumi.Input[str]] = []
        for index, option in enumerate(options):
            if not args.owns_validation_records:
                fqdns.append(option.apply(lambda o: o["resource_record_name"].rstrip(".")))
                continue
            record = aws.route53.Record(
                f"{name}-certificate-validation-{index}",
                zone_id=zone,
                allow_overwrite=True,
                ttl=60,
                name=option.apply(lambda o: o["resource_record_name"]),
                type=option.apply(lambda o: o["resource_record_type"]),
                records=[option.apply(lambda o: o["resource_record_value"])],
                opts=record_opts,
            )
            fqdns.append(record.fqdn)
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=fqdns,
            opts=record_opts,
        )
        return validation.certificate_arn

    def _network_load_balancer(
        self, name: str, args: EdgeArgs, tls: bool, lb_opts: pulumi.ResourceOptions, child: pulumi.ResourceOptions
    ) -> None:
        cfg, naming = args.config, args.naming
        listener_port = HTTPS_PORT if tls else HTTP_PORT
        group = aws.ec2.SecurityGroup(
            f"{name}-nlb-sg",
            name=naming("nlb"),
            vpc_id=args.vpc_id,
            description="network load balancer; rules are separate resources",
            tags={"Name": naming("nlb"), "tier": "nlb"},
            opts=child,
        )
        rule_opts = pulumi.ResourceOptions(parent=group)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nlb-from-internet-{listener_port}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=listener_port,
            to_port=listener_port,
            cidr_ipv4=ANYWHERE_IPV4,
            description=f"public listener port {listener_port}",
            opts=rule_opts,
        )
        for purpose, port in (("traffic", args.target_port), ("health-checks", args.health_check_port)):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-nlb-to-ingest-{purpose}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=args.ingest_security_group_id,
                description=f"ingest tasks, {purpose.replace('-', ' ')}",
                opts=rule_opts,
            )
        self.nlb_security_group = group
        self.nlb = aws.lb.LoadBalancer(
            f"{name}-nlb",
            name=naming("nlb"),
            load_balancer_type="network",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[group.id],
            subnets=list(args.public_subnet_ids),
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.tier == "prod",
            # NLB access logs record TLS connections only (Elastic Load Balancing user guide,
            # "Access logs for your Network Load Balancer", checked 2026-11-26).
            access_logs={"bucket": args.access_logs_bucket, "prefix": args.nlb_log_prefix, "enabled": True},
            tags={"Name": naming("nlb")},
            opts=lb_opts,
        )
        # preserve_client_ip off: tasks then see the NLB's address, which the ingest group admits
        # by naming the NLB's security group; client addresses are in the NLB access logs.
        self.nlb_target_group = aws.lb.TargetGroup(
            f"{name}-nlb-tg",
            target_type="ip",
            protocol="TCP",
            port=args.target_port,
            vpc_id=args.vpc_id,
            deregistration_delay=cfg.deregistration_delay_seconds,
            preserve_client_ip="false",
            health_check={
                "enabled": True,
                "protocol": "HTTP",
                "port": str(args.health_check_port),
                "path": args.health_check_path,
                "matcher": "200",
                "interval": 10,
                "healthy_threshold": 2,
                "unhealthy_threshold": 2,
            },
            tags={"Name": naming("ingest-nlb")},
            opts=child,
        )
        tls_args: dict[str, Any] = (
            # HTTP1Only: the gateway behind the NLB speaks HTTP/1.1 (websocket upgrades), never h2.
            {
                "protocol": "TLS",
                "ssl_policy": cfg.ssl_policy,
                "certificate_arn": self.certificate_arn,
                "alpn_policy": "HTTP1Only",
            }
            if tls
            else {"protocol": "TCP"}
        )
        self.nlb_listener = aws.lb.Listener(
            f"{name}-nlb-listener",
            load_balancer_arn=self.nlb.arn,
            port=listener_port,
            default_actions=[{"type": "forward", "target_group_arn": self.nlb_target_group.arn}],
            tags={"Name": naming("nlb-listener")},
            opts=child,
            **tls_args,
        )


def tls_source(config: EdgeConfig) -> TlsSource:
    """Where the listeners' certificate comes from: config, an ACM certificate issued here, or nowhere."""
    if config.certificate_arn is not None:
        return "certificate-arn"
    if config.domain_name is not None and config.hosted_zone_id is not None:
        return "acm-dns"
    return "none"


def tls_summary(source: TlsSource, ssl_policy: str, tier: str) -> str:
    """The `edgeTls` output: how clients are protected, in one line an operator can read in the plan."""
    if source == "none":
        return f"none: HTTP only ({tier})"
    return f"{source}: {ssl_policy}"


def public_ports(tls: bool) -> tuple[int, ...]:
    """ALB listener ports open to the internet: 80 (redirect only when TLS) and 443 with TLS."""
    return (HTTP_PORT, HTTPS_PORT) if tls else (HTTP_PORT,)


def certificate_names(domain: str, nlb: bool) -> list[str]:
    """The ALB's hostname, plus stream.<domain> for the NLB when there is one."""
    return [domain, f"{STREAM_SUBDOMAIN}.{domain}"] if nlb else [domain]


def validation_option(options: Sequence[Any], domain: str) -> dict[str, str]:
    """ACM's DNS validation record for one name of the certificate."""
    for option in options:
        if option.domain_name == domain:
            return {
                key: getattr(option, key)
                for key in ("resource_record_name", "resource_record_type", "resource_record_value")
            }
    raise LookupError(f"ACM returned no DNS validation option for {domain}")


def waf_rules(rate_limit: int, metric_prefix: str) -> list[dict[str, Any]]:
    """IP reputation first (cheapest to drop), then the per-IP rate limit, then the managed rule sets."""

    def visibility(rule: str) -> dict[str, Any]:
        return {
            "cloudwatch_metrics_enabled": True,
            "metric_name": f"{metric_prefix}-{rule}",
            "sampled_requests_enabled": True,
        }

    def managed(priority: int, group: str, counted: Sequence[str] = ()) -> dict[str, Any]:
        statement: dict[str, Any] = {"vendor_name": "AWS", "name": group}
        if counted:
            statement["rule_action_overrides"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in counted]
        return {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": statement},
            "visibility_config": visibility(group),
        }

    return [
        managed(0, "AWSManagedRulesAmazonIpReputationList"),
        {
            "name": "rate-limit-per-ip",
            "priority": 1,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": WAF_RATE_WINDOW_SECONDS,
                }
            },
            "visibility_config": visibility("rate-limit-per-ip"),
        },
        managed(2, "AWSManagedRulesCommonRuleSet", CRS_RULES_TO_COUNT),
        managed(3, "AWSManagedRulesKnownBadInputsRuleSet"),
        managed(4, "AWSManagedRulesAnonymousIpList", ANONYMOUS_RULES_TO_COUNT),
    ]


def build(foundation: Foundation, storage: Storage) -> Built[Edge]:
    """Create the load balancers in front of the ingest service, logging to the storage tier."""
    config, network = foundation.config, foundation.network
    edge = Edge(
        "edge",
        EdgeArgs(
            config=config.edge,
            tier=config.tier,
            naming=foundation.naming,
            vpc_id=network.vpc.id,
            public_subnet_ids=[s.id for s in network.subnets["public"]],
            alb_security_group_id=network.security_groups["alb"].id,
            ingest_security_group_id=network.security_groups["ingest"].id,
            target_port=config.ingest.container_port,
            health_check_port=config.ingest.admin_port,
            health_check_path=config.ingest.health_check_path,
            access_logs_bucket=storage.buckets[LB_LOGS].bucket,
            alb_log_prefix=ALB_LOG_PREFIX,
            nlb_log_prefix=NLB_LOG_PREFIX,
            access_logs_ready=[storage.policies[LB_LOGS]],
            kms_key_arn=foundation.key.key.arn,
            log_retention_days=config.ingest.log_retention_days,
            owns_validation_records=config.dr.role == "primary",
        ),
        foundation.opts(),
    )
    balancers = [LoadBalancerTarget("alb", edge.alb.arn_suffix, edge.alb_target_group.arn_suffix)]
    if edge.nlb is not None and edge.nlb_target_group is not None:
        balancers.append(LoadBalancerTarget("nlb", edge.nlb.arn_suffix, edge.nlb_target_group.arn_suffix))
    alarms = edge_alarms(balancers, config.observability)
    return Built(edge, edge_outputs(edge, config.edge, config.ingest.ingest_path), tuple(alarms))


def edge_outputs(edge: Edge, config: EdgeConfig, ingest_path: str) -> dict[str, Any]:
    """Stack outputs runbooks, alarms, DNS failover records and clients need."""
    tls = edge.tls_source != "none"
    alb_host: pulumi.Input[str] = config.domain_name if tls and config.domain_name else edge.alb.dns_name
    outputs: dict[str, Any] = {
        "albArn": edge.alb.arn,
        "albArnSuffix": edge.alb.arn_suffix,
        "albDnsName": edge.alb.dns_name,
        "albZoneId": edge.alb.zone_id,
        "albTargetGroupArn": edge.alb_target_group.arn,
        "albTargetGroupArnSuffix": edge.alb_target_group.arn_suffix,
        "edgeTls": edge.tls_summary,
        "wafWebAclArn": edge.web_acl.arn,
        "ingestUrl": pulumi.Output.concat("https://" if tls else "http://", alb_host, ingest_path),
        "nlbArn": None,
        "nlbArnSuffix": None,
        "nlbDnsName": None,
        "nlbZoneId": None,
        "nlbTargetGroupArnSuffix": None,
        "ingestStreamUrl": None,
    }
    if edge.nlb is not None and edge.nlb_target_group is not None:
        stream_host: pulumi.Input[str] = (
            f"{STREAM_SUBDOMAIN}.{config.domain_name}" if tls and config.domain_name else edge.nlb.dns_name
        )
        outputs.update(
            {
                "nlbArn": edge.nlb.arn,
                "nlbArnSuffix": edge.nlb.arn_suffix,
                "nlbDnsName": edge.nlb.dns_name,
                "nlbZoneId": edge.nlb.zone_id,
                "nlbTargetGroupArnSuffix": edge.nlb_target_group.arn_suffix,
                "ingestStreamUrl": pulumi.Output.concat("wss://" if tls else "ws://", stream_host, ingest_path, "/ws"),
            }
        )
    return outputs
