"""Client traffic between the regions: Route 53 records with health checks, optionally ARC routing controls.

Each stack owns only its own records (set identifier = its region): PRIMARY where
``dr.activeRegion`` points, SECONDARY in the other region. Nothing here has to change for a
failover to happen: Route 53 health checks (data plane) move clients when the active
region's edge stops answering, or, with ``dr.routingControls``, when an operator flips the
ARC routing controls through the cluster's regional endpoints (ARC's data plane: five
Regions, no dependency on the failed one). Updating the records afterwards (the
``dr.activeRegion`` flip) is a control-plane change made once the dust settles, demoting
the old primary first, because Route 53 accepts one PRIMARY per name: the standby's record
turns PRIMARY only once the primary's published ``drActiveRegion`` agrees (``traffic.record_role``).

Health: the HTTPS check reaches the ALB from the internet on a path the ALB answers itself
(DNS, TLS, WAF and the load balancer all work); ``evaluate_target_health`` on the alias
adds the backends (no healthy ingest task = unhealthy). The gateway's own /ping is on the
service port, which clients (and Route 53) can never reach. Stacks without a failover pair
get plain alias records when they have a domain and a hosted zone.

ARC readiness checks are closed to new customers: not used. Routing controls are on by default
in prod (about 2.5 USD per cluster-hour, priced in the cost model): Route 53's own control plane
(UpdateHealthCheck, ChangeResourceRecordSets) is served from us-east-1, so inverting health
checks cannot be the way out of a us-east-1 event ("Creating Disaster Recovery Mechanisms Using
Amazon Route 53", AWS Networking & Content Delivery blog,
https://aws.amazon.com/blogs/networking-and-content-delivery/creating-disaster-recovery-mechanisms-using-amazon-route-53/,
checked 2026-12-02). The standby re-exports the primary's control ARNs and cluster endpoints, so a
failover reads everything it needs from the surviving region's stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from infra.naming import Naming

FailoverRole = Literal["PRIMARY", "SECONDARY"]
RecordMode = Literal["failover", "simple"]
# A path the ALB answers with a fixed 200 before any routing to the gateway.
EDGE_HEALTH_PATH = "/edge-health"
EDGE_HEALTH_PRIORITY = 1
# Fast checks (10 s) and 3 failures: a dead region is detected in about 30 s ("Values that you
# specify when you create or update health checks", Route 53 developer guide, checked 2026-11-26).
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_FAILURES = 3
# An ARC assertion rule: at least one of the pair's routing controls stays On, so a mistaken
# flip cannot send every client nowhere ("Safety rules", Route 53 ARC developer guide).
SAFETY_RULE_MIN_ON = 1
SAFETY_RULE_WAIT_MS = 5000


def failover_role(region: str, active_region: str) -> FailoverRole:
    return "PRIMARY" if region == active_region else "SECONDARY"


@dataclass(frozen=True)
class Endpoint:
    """One load balancer clients reach through a record of the domain."""

    key: Literal["alb", "nlb"]
    record_name: str
    load_balancer: aws.lb.LoadBalancer
    health_protocol: Literal["HTTPS", "HTTP", "TCP"]
    port: int
    https_listener: aws.lb.Listener | None = None
    """The ALB's HTTPS listener, which answers the health path."""


@dataclass(frozen=True)
class RoutingControls:
    """ARC: the primary creates the cluster, panel, one control per region and the safety rule; the standby joins."""

    create: bool
    regions: Sequence[str]
    peer_control_arns: pulumi.Output[Mapping[str, str]] | None = None
    peer_cluster_endpoints: pulumi.Output[Any] | None = None
    """The primary's ARC cluster endpoints, which the standby re-exports for its failover runbook."""


@dataclass(frozen=True)
class FailoverArgs:
    naming: Naming
    hosted_zone_id: str
    endpoints: Sequence[Endpoint]
    mode: RecordMode
    role: pulumi.Input[str]
    """PRIMARY or SECONDARY (an Output when the standby waits for its primary to agree; see traffic.record_role)."""
    routing_controls: RoutingControls | None = None


class Failover(pulumi.ComponentResource):
    records: dict[str, aws.route53.Record]
    health_checks: dict[str, aws.route53.HealthCheck]
    routing_control_arns: pulumi.Output[Mapping[str, str]] | None
    cluster_endpoints: pulumi.Output[Any] | None
    arc_cluster: aws.route53recoverycontrol.Cluster | None
    control_panel: aws.route53recoverycontrol.ControlPanel | None

    def __init__(self, name: str, args: FailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:failover:Failover", name, None, opts)
        self._name, self._args = name, args
        self.records, self.health_checks = {}, {}
        self.role: pulumi.Input[str] | None = args.role if args.mode == "failover" else None
        self.routing_control_arns = self.cluster_endpoints = None
        self.arc_cluster = self.control_panel = None
        routing_check = self._routing_controls(args.routing_controls) if args.routing_controls else None
        for endpoint in args.endpoints:
            check = self._endpoint_check(endpoint) if args.mode == "failover" else None
            # With routing controls an operator decides; the endpoint checks stay for alarms and dashboards.
            decided_by = routing_check if routing_check is not None else check
            self.records[endpoint.key] = self._record(endpoint, decided_by, evaluate=routing_check is None)
        self.register_outputs(
            {
                "records": {key: record.fqdn for key, record in self.records.items()},
                "healthChecks": {key: check.id for key, check in self.health_checks.items()},
                "routingControlArns": self.routing_control_arns,
            }
        )

    def _endpoint_check(self, endpoint: Endpoint) -> aws.route53.HealthCheck:
        naming, child = self._args.naming, pulumi.ResourceOptions(parent=self)
        if endpoint.https_listener is not None:
            aws.lb.ListenerRule(
                f"{self._name}-{endpoint.key}-edge-health",
                listener_arn=endpoint.https_listener.arn,
                priority=EDGE_HEALTH_PRIORITY,
                conditions=[{"path_pattern": {"values": [EDGE_HEALTH_PATH]}}],
                actions=[
                    {
                        "type": "fixed-response",
                        "fixed_response": {"content_type": "text/plain", "message_body": "ok", "status_code": "200"},
                    }
                ],
                tags={"Name": naming("edge-health")},
                opts=child,
            )
        web = endpoint.health_protocol in ("HTTPS", "HTTP")
        check = aws.route53.HealthCheck(
            f"{self._name}-{endpoint.key}-health",
            type=endpoint.health_protocol,
            fqdn=endpoint.load_balancer.dns_name,
            port=endpoint.port,
            resource_path=EDGE_HEALTH_PATH if web else None,
            enable_sni=True if endpoint.health_protocol == "HTTPS" else None,
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURES,
            tags={"Name": naming(endpoint.key, "health")},
            opts=child,
        )
        self.health_checks[endpoint.key] = check
        return check

    def _record(self, endpoint: Endpoint, check: aws.route53.HealthCheck | None, evaluate: bool) -> aws.route53.Record:
        args = self._args
        alias = {
            "name": endpoint.load_balancer.dns_name,
            "zone_id": endpoint.load_balancer.zone_id,
            "evaluate_target_health": evaluate,
        }
        routing = (
            {
                "set_identifier": args.naming.region,
                "failover_routing_policies": [{"type": args.role}],
                "health_check_id": check.id if check is not None else None,
            }
            if args.mode == "failover"
            else {}
        )
        return aws.route53.Record(
            f"{self._name}-{endpoint.key}-record",
            zone_id=args.hosted_zone_id,
            name=endpoint.record_name,
            type="A",
            aliases=[alias],
            opts=pulumi.ResourceOptions(parent=self),
            **routing,
        )

    def _routing_controls(self, spec: RoutingControls) -> aws.route53.HealthCheck:
        naming, child = self._args.naming, pulumi.ResourceOptions(parent=self)
        if spec.create:
            self.arc_cluster = aws.route53recoverycontrol.Cluster(f"{self._name}-arc", name=naming("arc"), opts=child)
            self.control_panel = aws.route53recoverycontrol.ControlPanel(
                f"{self._name}-arc-panel", name=naming("arc"), cluster_arn=self.arc_cluster.arn, opts=child
            )
            controls = {
                region: aws.route53recoverycontrol.RoutingControl(
                    f"{self._name}-arc-{region}",
                    name=naming("serve", region),
                    cluster_arn=self.arc_cluster.arn,
                    control_panel_arn=self.control_panel.arn,
                    opts=child,
                )
                for region in spec.regions
            }
            aws.route53recoverycontrol.SafetyRule(
                f"{self._name}-arc-min-one-on",
                name=naming("arc-min-one-on"),
                control_panel_arn=self.control_panel.arn,
                asserted_controls=[control.arn for control in controls.values()],
                wait_period_ms=SAFETY_RULE_WAIT_MS,
                rule_config={"inverted": False, "threshold": SAFETY_RULE_MIN_ON, "type": "ATLEAST"},
                opts=child,
            )
            self.routing_control_arns = pulumi.Output.all(
                **{region: control.arn for region, control in controls.items()}
            ).apply(lambda arns: dict(arns))
            self.cluster_endpoints = self.arc_cluster.cluster_endpoints
        else:
            if spec.peer_control_arns is None:
                raise ValueError("a standby joins routing controls by the ARNs its primary publishes")
            self.routing_control_arns = spec.peer_control_arns
            self.cluster_endpoints = spec.peer_cluster_endpoints
        region = naming.region
        own_control = self.routing_control_arns.apply(lambda arns: own_routing_control(arns, region))
        check = aws.route53.HealthCheck(
            f"{self._name}-routing-control-health",
            type="RECOVERY_CONTROL",
            routing_control_arn=own_control,
            tags={"Name": naming("serve", region)},
            opts=child,
        )
        self.health_checks["routing-control"] = check
        return check


def own_routing_control(arns: Mapping[str, str] | None, region: str) -> str:
    """This region's routing control from the pair's map; a clear error when the primary has none."""
    if not arns or region not in arns:
        raise ValueError(
            f"no ARC routing control for {region}: set dr.routingControls in both stacks and deploy the primary first"
        )
    return arns[region]
