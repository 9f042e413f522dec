"""The edge tier: ALB (HTTPS, TLS 1.3 policy, redirect-only HTTP, WAF, access logs) and NLB (TLS, cross-zone)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.components.edge import (
    CRS_RULES_TO_COUNT,
    HTTP_PORT,
    HTTPS_PORT,
    WAF_RATE_WINDOW_SECONDS,
    certificate_names,
    public_ports,
    tls_source,
    tls_summary,
    validation_option,
    waf_rules,
)
from infra.components.storage import ALB_LOG_PREFIX, LB_LOGS, NLB_LOG_PREFIX
from infra.config.rules.edge import ALLOWED_TLS_POLICIES, DEFAULT_TLS_POLICY
from infra.config.schema import EdgeConfig
from infra.offline.record import PlannedResource, StackPlan
from tests.helpers import config_errors

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
}
EDGE_OUTPUTS = (
    "albDnsName",
    "albArn",
    "albArnSuffix",
    "albZoneId",
    "albTargetGroupArnSuffix",
    "nlbDnsName",
    "nlbArn",
    "nlbArnSuffix",
    "ingestUrl",
    "edgeTls",
    "wafWebAclArn",
)


def _named(plan: StackPlan, type_token: str, name: str) -> PlannedResource:
    [found] = [r for r in plan.of_type(type_token) if r.name == name]
    return found


def _maybe(plan: StackPlan, type_token: str, name: str) -> PlannedResource | None:
    found = [r for r in plan.of_type(type_token) if r.name == name]
    return found[0] if found else None


def _edge(plan: StackPlan) -> dict[str, Any]:
    return plan.config["edge"]


def _has_tls(plan: StackPlan) -> bool:
    return tls_source(EdgeConfig.model_validate(_edge(plan))) != "none"


# --- ALB -------------------------------------------------------------------------------------


def test_alb_is_internet_facing_in_the_public_subnets_behind_its_security_group(stack_plan: StackPlan) -> None:
    alb = _named(stack_plan, LB, "edge-alb")
    assert alb.inputs["loadBalancerType"] == "application" and alb.inputs["internal"] is False
    assert alb.inputs["subnets"] == stack_plan.outputs["publicSubnetIds"]
    assert alb.inputs["securityGroups"] == [stack_plan.outputs["securityGroupIds"]["alb"]]
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["name"] == f"sp-{stack_plan.stack}-alb" and len(alb.inputs["name"]) <= 32


def test_alb_and_nlb_log_to_the_sse_s3_bucket_after_its_policy_exists(stack_plan: StackPlan) -> None:
    """AWS checks the log-delivery grant when access logs are enabled: the policy must exist first."""
    bucket = stack_plan.outputs["lbLogsBucket"]["name"]
    bucket_urn = _named(stack_plan, "aws:s3/bucketPolicy:BucketPolicy", f"storage-{LB_LOGS}-policy").urn
    balancers = [("edge-alb", ALB_LOG_PREFIX)] + ([("edge-nlb", NLB_LOG_PREFIX)] if _edge(stack_plan)["nlb"] else [])
    for name, prefix in balancers:
        lb = _named(stack_plan, LB, name)
        assert lb.inputs["accessLogs"] == {"bucket": bucket, "prefix": prefix, "enabled": True}
        assert bucket_urn in lb.dependencies


def test_deletion_protection_and_protect_only_in_prod(stack_plan: StackPlan) -> None:
    prod = stack_plan.config["tier"] == "prod"
    balancers = [r for r in stack_plan.of_type(LB) if r.name.startswith("edge-")]
    assert len(balancers) == (2 if _edge(stack_plan)["nlb"] else 1)
    for lb in balancers:
        assert lb.inputs["enableDeletionProtection"] is prod, lb.name
        assert lb.protect is prod, lb.name


def test_https_listener_uses_a_tls13_policy_and_http_only_redirects(stack_plan: StackPlan) -> None:
    if not _has_tls(stack_plan):
        pytest.skip("stack without a certificate: covered by the HTTP-only test")
    https = _named(stack_plan, LISTENER, "edge-alb-https")
    assert https.inputs["protocol"] == "HTTPS" and https.inputs["port"] == HTTPS_PORT
    assert https.inputs["sslPolicy"] == _edge(stack_plan)["ssl_policy"] and "TLS13" in https.inputs["sslPolicy"]
    assert https.inputs["certificateArn"].startswith(f"arn:aws:acm:{stack_plan.region}:")
    tg_arn = _named(stack_plan, TG, "edge-alb-tg").outputs["arn"]
    assert https.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": tg_arn}]
    http = _named(stack_plan, LISTENER, "edge-alb-http")
    [action] = http.inputs["defaultActions"]
    assert action == {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}


def test_prod_never_has_a_plain_http_path(plans: dict[str, StackPlan]) -> None:
    prod_plans = [p for p in plans.values() if p.config["tier"] == "prod"]
    assert prod_plans
    for plan in prod_plans:
        plain = [
            r
            for r in plan.of_type(LISTENER)
            if r.inputs["protocol"] in ("HTTP", "TCP")
            and any(a["type"] != "redirect" for a in r.inputs["defaultActions"])
        ]
        assert not plain, [r.name for r in plain]
        assert plan.outputs["ingestUrl"].startswith("https://") and not plan.warnings


def test_a_stack_without_certificate_serves_http_and_says_so(stack_plan: StackPlan) -> None:
    if _has_tls(stack_plan):
        pytest.skip("stack with a certificate")
    tier = stack_plan.config["tier"]
    assert tier != "prod"
    assert _maybe(stack_plan, LISTENER, "edge-alb-https") is None
    http = _named(stack_plan, LISTENER, "edge-alb-http")
    assert [a["type"] for a in http.inputs["defaultActions"]] == ["forward"]
    assert stack_plan.outputs["edgeTls"] == f"none: HTTP only ({tier})"
    assert stack_plan.outputs["ingestUrl"].startswith("http://")
    assert any("no certificate" in w and "HTTP only" in w for w in stack_plan.warnings)


def test_alb_security_group_opens_only_the_listener_ports_to_the_internet(stack_plan: StackPlan) -> None:
    alb_sg = stack_plan.outputs["securityGroupIds"]["alb"]
    rules = [r for r in stack_plan.of_type(INGRESS) if r.inputs["securityGroupId"] == alb_sg]
    opened = sorted((r.inputs["fromPort"], r.inputs["toPort"], r.inputs.get("cidrIpv4")) for r in rules)
    expected = sorted((p, p, "0.0.0.0/0") for p in public_ports(_has_tls(stack_plan)))
    assert opened == expected


def test_alb_target_group_sends_traffic_to_the_ingest_port_and_health_checks_to_the_service_port(
    stack_plan: StackPlan,
) -> None:
    ingest = stack_plan.config["ingest"]
    tg = _named(stack_plan, TG, "edge-alb-tg")
    assert tg.inputs["targetType"] == "ip" and tg.inputs["protocol"] == "HTTP"
    assert tg.inputs["port"] == ingest["container_port"]
    assert tg.inputs["vpcId"] == stack_plan.outputs["vpcId"]
    assert tg.inputs["deregistrationDelay"] == _edge(stack_plan)["deregistration_delay_seconds"]
    check = tg.inputs["healthCheck"]
    assert check["port"] == str(ingest["admin_port"]) and check["path"] == ingest["health_check_path"]
    assert check["protocol"] == "HTTP" and check["matcher"] == "200" and check["enabled"] is True


# --- WAF -------------------------------------------------------------------------------------


def test_web_acl_is_regional_with_managed_groups_and_the_configured_rate_limit(stack_plan: StackPlan) -> None:
    acl = _named(stack_plan, "aws:wafv2/webAcl:WebAcl", "edge-waf")
    assert acl.inputs["scope"] == "REGIONAL" and acl.inputs["defaultAction"] == {"allow": {}}
    statements = [rule["statement"] for rule in acl.inputs["rules"]]
    groups = {s["managedRuleGroupStatement"]["name"] for s in statements if "managedRuleGroupStatement" in s}
    assert groups == MANAGED_GROUPS
    [rate] = [s["rateBasedStatement"] for s in statements if "rateBasedStatement" in s]
    assert rate["limit"] == _edge(stack_plan)["waf_rate_limit"] and rate["aggregateKeyType"] == "IP"
    assert rate["evaluationWindowSec"] == WAF_RATE_WINDOW_SECONDS


def test_web_acl_logs_to_an_encrypted_waf_log_group_without_the_token(stack_plan: StackPlan) -> None:
    acl = _named(stack_plan, "aws:wafv2/webAcl:WebAcl", "edge-waf")
    logging = stack_plan.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    group = _named(stack_plan, "aws:cloudwatch/logGroup:LogGroup", "edge-waf-logs")
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "authorization"}}]
    assert group.inputs["name"].startswith("aws-waf-logs-")  # WAF refuses any other log group name
    assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert group.inputs["retentionInDays"] == stack_plan.config["ingest"]["log_retention_days"]


def test_anonymous_ip_list_counts_hosting_providers_instead_of_blocking_producers() -> None:
    [anonymous] = [r for r in waf_rules(100, "x") if r["name"] == "AWSManagedRulesAnonymousIpList"]
    overrides = anonymous["statement"]["managed_rule_group_statement"]["rule_action_overrides"]
    assert overrides == [{"name": "HostingProviderIPList", "action_to_use": {"count": {}}}]


def test_web_acl_is_associated_with_the_alb(stack_plan: StackPlan) -> None:
    association = stack_plan.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == stack_plan.outputs["albArn"]
    assert association.inputs["webAclArn"] == stack_plan.outputs["wafWebAclArn"]


@given(st.integers(min_value=10, max_value=2_000_000_000), st.text(alphabet="abc-", min_size=1, max_size=20))
def test_waf_rules_keep_the_limit_and_unique_ordered_priorities(limit: int, prefix: str) -> None:
    rules = waf_rules(limit, prefix)
    priorities = [r["priority"] for r in rules]
    assert priorities == sorted(set(priorities))
    assert len({r["visibility_config"]["metric_name"] for r in rules}) == len(rules)
    assert all(r["visibility_config"]["metric_name"].startswith(prefix) for r in rules)
    [rate] = [r for r in rules if "rate_based_statement" in r["statement"]]
    assert rate["statement"]["rate_based_statement"]["limit"] == limit and rate["action"] == {"block": {}}
    # Managed groups never block by override: their own rule actions apply (bar the counted ones).
    managed = [r for r in rules if "managed_rule_group_statement" in r["statement"]]
    assert all(r["override_action"] == {"none": {}} for r in managed)


def test_core_rule_set_counts_oversized_bodies_instead_of_blocking_event_batches() -> None:
    [crs] = [r for r in waf_rules(100, "x") if r["name"] == "AWSManagedRulesCommonRuleSet"]
    overrides = crs["statement"]["managed_rule_group_statement"]["rule_action_overrides"]
    assert [o["name"] for o in overrides] == list(CRS_RULES_TO_COUNT) == ["SizeRestrictions_BODY"]
    assert all(o["action_to_use"] == {"count": {}} for o in overrides)


# --- NLB -------------------------------------------------------------------------------------


def test_nlb_exists_exactly_when_configured(stack_plan: StackPlan) -> None:
    wanted = _edge(stack_plan)["nlb"]
    assert (_maybe(stack_plan, LB, "edge-nlb") is not None) is wanted
    assert (stack_plan.outputs["nlbArn"] is not None) is wanted
    assert stack_plan.config["tier"] != "dev" or not wanted, "dev keeps the NLB off by default"


def test_nlb_is_cross_zone_with_its_own_group_and_a_tls_listener(stack_plan: StackPlan) -> None:
    nlb = _maybe(stack_plan, LB, "edge-nlb")
    if nlb is None:
        pytest.skip("no NLB in this stack")
    group = _named(stack_plan, "aws:ec2/securityGroup:SecurityGroup", "edge-nlb-sg")
    assert nlb.inputs["loadBalancerType"] == "network" and nlb.inputs["internal"] is False
    assert nlb.inputs["enableCrossZoneLoadBalancing"] is True
    assert nlb.inputs["securityGroups"] == [group.outputs["id"]]
    assert nlb.inputs["subnets"] == stack_plan.outputs["publicSubnetIds"]
    listener = _named(stack_plan, LISTENER, "edge-nlb-listener")
    if _has_tls(stack_plan):
        assert listener.inputs["protocol"] == "TLS" and listener.inputs["port"] == HTTPS_PORT
        assert listener.inputs["sslPolicy"] in ALLOWED_TLS_POLICIES and listener.inputs["alpnPolicy"] == "HTTP1Only"
        assert (
            listener.inputs["certificateArn"] == _named(stack_plan, LISTENER, "edge-alb-https").inputs["certificateArn"]
        )
    else:
        assert listener.inputs["protocol"] == "TCP" and listener.inputs["port"] == HTTP_PORT


def test_nlb_target_group_hides_client_ips_so_the_ingest_group_can_name_the_nlb(stack_plan: StackPlan) -> None:
    tg = _maybe(stack_plan, TG, "edge-nlb-tg")
    if tg is None:
        pytest.skip("no NLB in this stack")
    ingest = stack_plan.config["ingest"]
    assert tg.inputs["protocol"] == "TCP" and tg.inputs["targetType"] == "ip"
    assert tg.inputs["port"] == ingest["container_port"] and tg.inputs["preserveClientIp"] == "false"
    check = tg.inputs["healthCheck"]
    assert check["protocol"] == "HTTP" and check["port"] == str(ingest["admin_port"])
    assert check["path"] == ingest["health_check_path"]


def test_nlb_group_reaches_only_the_ingest_tasks(stack_plan: StackPlan) -> None:
    group = _maybe(stack_plan, "aws:ec2/securityGroup:SecurityGroup", "edge-nlb-sg")
    if group is None:
        pytest.skip("no NLB in this stack")
    ingest = stack_plan.config["ingest"]
    egress = [r for r in stack_plan.of_type(EGRESS) if r.inputs["securityGroupId"] == group.outputs["id"]]
    assert {r.inputs["referencedSecurityGroupId"] for r in egress} == {stack_plan.outputs["securityGroupIds"]["ingest"]}
    assert sorted(r.inputs["fromPort"] for r in egress) == sorted((ingest["container_port"], ingest["admin_port"]))
    ingress = [r for r in stack_plan.of_type(INGRESS) if r.inputs["securityGroupId"] == group.outputs["id"]]
    assert [(r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in ingress] == [
        (HTTPS_PORT if _has_tls(stack_plan) else HTTP_PORT, "0.0.0.0/0")
    ]


# --- Certificates ------------------------------------------------------------------------------


def test_acm_certificate_is_dns_validated_in_the_hosted_zone(stack_plan: StackPlan) -> None:
    edge = _edge(stack_plan)
    certificates = stack_plan.of_type("aws:acm/certificate:Certificate")
    if edge["certificate_arn"] is not None or edge["hosted_zone_id"] is None:
        assert not certificates
        return
    [certificate] = certificates
    names = certificate_names(edge["domain_name"], edge["nlb"])
    assert certificate.inputs["validationMethod"] == "DNS"
    assert [certificate.inputs["domainName"], *certificate.inputs.get("subjectAlternativeNames", [])] == names
    records = [r for r in stack_plan.of_type("aws:route53/record:Record") if r.parent == certificate.urn]
    options = {o["resourceRecordName"]: o for o in certificate.outputs["domainValidationOptions"]}
    validation = stack_plan.one("aws:acm/certificateValidation:CertificateValidation")
    if stack_plan.config["dr"]["role"] == "secondary":
        # The primary owns the shared records (test_the_primary_alone_owns_the_validation_records).
        assert not records
        assert sorted(validation.inputs["validationRecordFqdns"]) == sorted(n.rstrip(".") for n in options)
        return
    assert len(records) == len(names)
    for record in records:
        option = options[record.inputs["name"]]
        assert record.inputs["zoneId"] == edge["hosted_zone_id"] and record.inputs["allowOverwrite"] is True
        assert record.inputs["type"] == option["resourceRecordType"]
        assert record.inputs["records"] == [option["resourceRecordValue"]]
    assert validation.inputs["certificateArn"] == certificate.outputs["arn"]
    assert sorted(validation.inputs["validationRecordFqdns"]) == sorted(r.outputs["fqdn"] for r in records)
    https = _named(stack_plan, LISTENER, "edge-alb-https")
    assert validation.urn in https.dependencies, "the listener waits until ACM issued the certificate"


def test_tls_source_follows_the_config() -> None:
    assert tls_source(EdgeConfig(certificate_arn="arn:aws:acm:us-east-1:1:certificate/x")) == "certificate-arn"
    assert tls_source(EdgeConfig(domain_name="a.example.com", hosted_zone_id="Z1")) == "acm-dns"
    assert tls_source(EdgeConfig(domain_name="a.example.com")) == "none"
    assert tls_source(EdgeConfig()) == "none"
    assert tls_summary("none", DEFAULT_TLS_POLICY, "staging") == "none: HTTP only (staging)"
    assert tls_summary("acm-dns", "P", "prod") == "acm-dns: P"


def test_the_primary_alone_owns_the_validation_records(plans: dict[str, StackPlan]) -> None:
    """ACM's validation CNAME is one per domain and account: prod creates it, prod-dr's validation waits on it."""
    prod, standby = plans["prod"], plans["prod-dr"]
    owned = [r for r in prod.of_type("aws:route53/record:Record") if "certificate-validation" in r.name]
    assert owned and all(r.inputs["allowOverwrite"] is True for r in owned)
    assert not [r for r in standby.of_type("aws:route53/record:Record") if "certificate-validation" in r.name]
    waited = standby.one("aws:acm/certificateValidation:CertificateValidation").inputs["validationRecordFqdns"]
    assert sorted(waited) == sorted(r.outputs["fqdn"] for r in owned)
    # Same account and domain, other region: ACM hands out the same record.
    [certificate] = standby.of_type("aws:acm/certificate:Certificate")
    assert {o["resourceRecordName"].rstrip(".") for o in certificate.outputs["domainValidationOptions"]} == set(waited)


def test_validation_option_picks_the_record_of_the_name() -> None:
    options = [
        SimpleNamespace(
            domain_name=d,
            resource_record_name=f"_x.{d}.",
            resource_record_type="CNAME",
            resource_record_value=f"_v.{d}.",
        )
        for d in ("a.example.com", "stream.a.example.com")
    ]
    assert validation_option(options, "stream.a.example.com")["resource_record_name"] == "_x.stream.a.example.com."
    with pytest.raises(LookupError):
        validation_option(options, "b.example.com")


# --- Outputs and component -----------------------------------------------------------------------


def test_outputs_name_everything_operators_and_alarms_need(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    assert set(EDGE_OUTPUTS) <= set(outputs)
    assert outputs["albArn"].endswith(outputs["albArnSuffix"]) and outputs["albArnSuffix"].startswith("app/")
    tg = _named(stack_plan, TG, "edge-alb-tg")
    assert outputs["albTargetGroupArnSuffix"] == tg.outputs["arnSuffix"] and tg.outputs["arn"].endswith(
        tg.outputs["arnSuffix"]
    )
    assert outputs["albZoneId"] and outputs["albDnsName"].endswith(".elb.amazonaws.com")
    path = stack_plan.config["ingest"]["ingest_path"]
    host = (
        _edge(stack_plan)["domain_name"]
        if _has_tls(stack_plan) and _edge(stack_plan)["domain_name"]
        else outputs["albDnsName"]
    )
    assert outputs["ingestUrl"] == f"{'https' if _has_tls(stack_plan) else 'http'}://{host}{path}"
    if outputs["nlbArn"] is not None:
        assert outputs["nlbArn"].endswith(outputs["nlbArnSuffix"]) and outputs["nlbArnSuffix"].startswith("net/")
        assert outputs["ingestStreamUrl"].endswith(f"{path}/ws")


def test_every_edge_resource_belongs_to_the_edge_component(stack_plan: StackPlan) -> None:
    [component] = [c for c in stack_plan.components() if c.type == "streaming:edge:Edge"]
    edge_types = {LB, TG, LISTENER, "aws:wafv2/webAcl:WebAcl", "aws:acm/certificate:Certificate"}
    for resource in stack_plan.custom_resources():
        if resource.type in edge_types:
            assert stack_plan.component_of(resource) == component, resource.urn


# --- Config rules ----------------------------------------------------------------------------------


def test_prod_without_certificate_is_a_config_error() -> None:
    messages = config_errors("prod", {"edge": {"domainName": None, "hostedZoneId": None}})
    assert any("edge.certificateArn = None" in m and "prod never serves HTTP only" in m for m in messages)
    assert config_errors("dev", {"edge": {"domainName": None, "hostedZoneId": None}}) == []


def test_domain_without_hosted_zone_is_a_config_error() -> None:
    [message] = config_errors("staging", {"edge": {"domainName": "ingest.example.com", "hostedZoneId": None}})
    assert "edge.hostedZoneId = None" in message and "go together" in message


def test_certificate_must_be_an_acm_arn_in_the_stack_region() -> None:
    [message] = config_errors("staging", {"edge": {"certificateArn": "arn:aws:iam::1:server-certificate/x"}})
    assert "must be an ACM certificate ARN" in message
    [message] = config_errors("staging", {"edge": {"certificateArn": "arn:aws:acm:eu-west-1:1:certificate/x"}})
    assert "stack's region (us-east-1)" in message
    assert config_errors("staging", {"edge": {"certificateArn": "arn:aws:acm:us-east-1:1:certificate/x"}}) == []


def test_ssl_policy_must_be_tls13_2021_or_newer() -> None:
    [message] = config_errors("prod", {"edge": {"sslPolicy": "ELBSecurityPolicy-2016-08"}})
    assert (
        "edge.sslPolicy = 'ELBSecurityPolicy-2016-08'" in message and "ELBSecurityPolicy-TLS13-1-2-2021-06" in message
    )
    assert config_errors("prod", {"edge": {"sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}}) == []


def test_waf_rate_limit_bounds() -> None:
    [message] = config_errors("dev", {"edge": {"wafRateLimit": 5}})
    assert "edge.wafRateLimit = 5" in message and "greater than or equal to 10" in message


def test_default_tls_policy_is_allowed_and_the_schema_default() -> None:
    assert DEFAULT_TLS_POLICY in ALLOWED_TLS_POLICIES
    assert EdgeConfig().ssl_policy == DEFAULT_TLS_POLICY
    assert all("TLS13" in policy for policy in ALLOWED_TLS_POLICIES)


def test_certificate_names_cover_the_nlb_host_only_with_an_nlb() -> None:
    assert certificate_names("a.example.com", nlb=False) == ["a.example.com"]
    assert certificate_names("a.example.com", nlb=True) == ["a.example.com", "stream.a.example.com"]
    assert json.dumps(public_ports(True)) == "[80, 443]" and public_ports(False) == (80,)
