"""Route 53 records of the stack's load balancers: a failover pair (health checks, optional ARC) for a
warm standby, plain aliases otherwise; the standby turns PRIMARY only once its primary agrees.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.components.edge import STREAM_SUBDOMAIN, Edge
from infra.components.failover import Endpoint, Failover, FailoverArgs, RoutingControls, failover_role
from infra.config.pair import active_region
from infra.config.schema import StackConfig
from infra.naming import Naming


def endpoints(edge: Edge, domain: str | None) -> list[Endpoint]:
    """The ALB (and NLB) of the stack, as records of edge.domainName (and stream.<domain>)."""
    if domain is None:
        return []
    tls = edge.https_listener is not None
    found = [
        Endpoint(
            key="alb",
            record_name=domain,
            load_balancer=edge.alb,
            health_protocol="HTTPS" if tls else "HTTP",
            port=443 if tls else 80,
            https_listener=edge.https_listener,
        )
    ]
    if edge.nlb is not None:
        found.append(
            Endpoint(
                key="nlb",
                record_name=f"{STREAM_SUBDOMAIN}.{domain}",
                load_balancer=edge.nlb,
                health_protocol="TCP",
                port=443 if tls else 80,
            )
        )
    return found


def traffic(
    config: StackConfig,
    naming: Naming,
    edge: Edge,
    reference: pulumi.StackReference | None,
    name: str,
    opts: pulumi.ResourceOptions,
) -> Failover | None:
    """Route 53 records for edge.domainName: failover pair for warm-standby, plain aliases otherwise."""
    found = endpoints(edge, config.edge.domain_name)
    zone = config.edge.hosted_zone_id
    if not found or zone is None:
        return None
    warm = config.dr.strategy == "warm-standby"
    controls = None
    if warm and config.dr.routing_controls:
        regions = sorted(r for r in (config.region, config.dr.region) if r)
        controls = RoutingControls(
            create=config.dr.role == "primary",
            regions=regions,
            peer_control_arns=reference.get_output("drRoutingControlArns") if reference is not None else None,
            peer_cluster_endpoints=reference.get_output("arcClusterEndpoints") if reference is not None else None,
        )
    return Failover(
        name,
        FailoverArgs(
            naming=naming,
            hosted_zone_id=zone,
            endpoints=found,
            mode="failover" if warm else "simple",
            role=record_role(config, reference),
            routing_controls=controls,
        ),
        opts,
    )


def record_role(config: StackConfig, reference: pulumi.StackReference | None) -> pulumi.Input[str]:
    """PRIMARY where dr.activeRegion points; a standby waits until its primary publishes the same active region.

    Route 53 accepts one PRIMARY per name, so a flip demotes the primary first. The standby may be
    flipped while the primary region is down (its job and export follow at once) and its record
    stays SECONDARY until then: health checks (or ARC) already send the clients to it.
    """
    role = failover_role(config.region, active_region(config))
    if role == "SECONDARY" or config.dr.role != "secondary" or reference is None:
        return role
    region = config.region

    def agreed(primary_active: Any) -> str:
        return failover_role(region, str(primary_active))

    return reference.get_output("drActiveRegion").apply(agreed)


def failover_outputs(component: Failover | None) -> dict[str, Any]:
    if component is None:
        return {"dnsRecords": None, "healthCheckIds": None}
    return {
        "dnsRecords": {
            key: {
                "name": record.name,
                "fqdn": record.fqdn,
                "setIdentifier": record.set_identifier,
                "failover": component.role,
            }
            for key, record in component.records.items()
        },
        "healthCheckIds": {key: check.id for key, check in component.health_checks.items()},
        "drRoutingControlArns": component.routing_control_arns,
        "arcClusterArn": component.arc_cluster.arn if component.arc_cluster else None,
        "arcClusterEndpoints": component.cluster_endpoints,
        "arcControlPanelArn": component.control_panel.arn if component.control_panel else None,
    }
