"""The ingest tier: a Redpanda Connect gateway on Fargate writing to MSK with IAM auth, autoscaled."""

from __future__ import annotations

import json
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.components.ingest import (
    CONFIG_ENV,
    CONFIG_FILE,
    CONFIG_WRITER,
    GATEWAY,
    GatewayConfigValues,
    TaskLayout,
    _templates,
    container_definitions,
    ecr_repository_arn,
    execution_role_policy,
    render_gateway_config,
    scaling_resource_id,
    split_brokers,
    task_role_policy,
)
from infra.config.rules.ingest import FARGATE_MEMORY, image_pin_problem
from infra.offline.record import PlannedResource, StackPlan
from tests.helpers import config_errors

TEMPLATE = "ingest/redpanda-connect.yaml.j2"
SCALING_TARGET = "aws:appautoscaling/target:Target"
INGEST_OUTPUTS = (
    "ecsClusterName",
    "ingestServiceName",
    "ingestTaskRoleArn",
    "ingestLogGroup",
    "ingestUrl",
    "albTargetGroupArnSuffix",
)


def _ingest(plan: StackPlan) -> dict[str, Any]:
    return plan.config["ingest"]


def _containers(plan: StackPlan) -> dict[str, dict[str, Any]]:
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition")
    return {c["name"]: c for c in json.loads(task.inputs["containerDefinitions"])}


def _gateway_config(plan: StackPlan) -> dict[str, Any]:
    writer = _containers(plan)[CONFIG_WRITER]
    [variable] = writer["environment"]
    assert variable["name"] == CONFIG_ENV
    config: dict[str, Any] = yaml.safe_load(variable["value"])
    return config


def _role_policy(plan: StackPlan, name: str) -> dict[str, Any]:
    [policy] = [r for r in plan.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == name]
    document: dict[str, Any] = json.loads(policy.inputs["policy"])
    return document


def _named(plan: StackPlan, type_token: str, name: str) -> PlannedResource:
    [found] = [r for r in plan.of_type(type_token) if r.name == name]
    return found


# --- Cluster, service, placement ----------------------------------------------------------------


def test_cluster_has_container_insights(stack_plan: StackPlan) -> None:
    cluster = stack_plan.one("aws:ecs/cluster:Cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]
    assert stack_plan.outputs["ecsClusterName"] == cluster.inputs["name"] == f"sp-{stack_plan.stack}-ingest"


def test_service_runs_fargate_tasks_in_the_private_app_subnets_of_every_az(stack_plan: StackPlan) -> None:
    service = stack_plan.one("aws:ecs/service:Service")
    network = service.inputs["networkConfiguration"]
    assert service.inputs["launchType"] == "FARGATE"
    assert network["subnets"] == stack_plan.outputs["privateAppSubnetIds"]
    assert len(network["subnets"]) == stack_plan.config["network"]["az_count"]
    assert network["securityGroups"] == [stack_plan.outputs["securityGroupIds"]["ingest"]]
    assert network["assignPublicIp"] is False
    assert service.inputs["availabilityZoneRebalancing"] == "ENABLED"


def test_service_rolls_back_a_failed_deployment_and_leaves_desired_count_to_autoscaling(stack_plan: StackPlan) -> None:
    service = stack_plan.one("aws:ecs/service:Service")
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service.inputs["deploymentMinimumHealthyPercent"] == 100
    assert service.inputs["desiredCount"] == _ingest(stack_plan)["min_tasks"]
    assert "desiredCount" in service.ignore_changes
    assert service.inputs["waitForSteadyState"] is True


def test_prod_runs_at_least_one_task_per_az(plans: dict[str, StackPlan]) -> None:
    prod_plans = [p for p in plans.values() if p.config["tier"] == "prod"]
    assert prod_plans
    for plan in prod_plans:
        azs = plan.config["network"]["az_count"]
        assert plan.one("aws:ecs/service:Service").inputs["desiredCount"] >= azs
        assert _named(plan, SCALING_TARGET, "ingest-scaling-target").inputs["minCapacity"] >= azs


def test_service_registers_in_every_target_group_after_their_listeners_exist(stack_plan: StackPlan) -> None:
    service = stack_plan.one("aws:ecs/service:Service")
    groups = [r for r in stack_plan.of_type("aws:lb/targetGroup:TargetGroup") if r.name.startswith("edge-")]
    port = _ingest(stack_plan)["container_port"]
    assert sorted(lb["targetGroupArn"] for lb in service.inputs["loadBalancers"]) == sorted(
        g.outputs["arn"] for g in groups
    )
    assert all(lb["containerName"] == GATEWAY and lb["containerPort"] == port for lb in service.inputs["loadBalancers"])
    listeners = [r.urn for r in stack_plan.of_type("aws:lb/listener:Listener")]
    assert listeners and set(listeners) <= set(service.dependencies)


# --- Task definition ------------------------------------------------------------------------------


def test_task_definition_sizes_and_roles(stack_plan: StackPlan) -> None:
    task = stack_plan.one("aws:ecs/taskDefinition:TaskDefinition")
    ingest = _ingest(stack_plan)
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"] and task.inputs["networkMode"] == "awsvpc"
    assert (task.inputs["cpu"], task.inputs["memory"]) == (str(ingest["cpu"]), str(ingest["memory_mib"]))
    assert int(task.inputs["memory"]) in FARGATE_MEMORY[int(task.inputs["cpu"])]
    assert task.inputs["runtimePlatform"] == {
        "operatingSystemFamily": "LINUX",
        "cpuArchitecture": ingest["cpu_architecture"],
    }
    assert task.inputs["taskRoleArn"] == stack_plan.outputs["ingestTaskRoleArn"]
    assert task.inputs["executionRoleArn"] == stack_plan.outputs["ingestExecutionRoleArn"]
    assert task.inputs["volumes"] == [{"name": "gateway-config"}]


def test_config_writer_hands_the_rendered_config_to_the_gateway(stack_plan: StackPlan) -> None:
    containers = _containers(stack_plan)
    writer, gateway = containers[CONFIG_WRITER], containers[GATEWAY]
    image = _ingest(stack_plan)["image"]
    assert writer["image"] == gateway["image"] == image
    assert writer["essential"] is False and writer["user"] == "0"
    assert writer["entryPoint"] == ["/bin/sh", "-c"] and writer["command"] == [
        f'printf "%s" "${CONFIG_ENV}" > {CONFIG_FILE}'
    ]
    assert gateway["command"] == ["run", CONFIG_FILE] and gateway["essential"] is True
    assert gateway["dependsOn"] == [{"containerName": CONFIG_WRITER, "condition": "SUCCESS"}]
    assert [m["readOnly"] for m in writer["mountPoints"]] == [False]
    assert [m["readOnly"] for m in gateway["mountPoints"]] == [True]
    assert writer["mountPoints"][0]["containerPath"] == gateway["mountPoints"][0]["containerPath"]
    assert CONFIG_FILE.startswith(gateway["mountPoints"][0]["containerPath"] + "/")
    assert writer["readonlyRootFilesystem"] is gateway["readonlyRootFilesystem"] is True
    assert "user" not in gateway, "the gateway keeps the image's non-root user"


def test_gateway_ports_health_check_and_logs(stack_plan: StackPlan) -> None:
    gateway = _containers(stack_plan)[GATEWAY]
    ingest = _ingest(stack_plan)
    assert sorted(p["containerPort"] for p in gateway["portMappings"]) == sorted(
        (ingest["container_port"], ingest["admin_port"])
    )
    command = gateway["healthCheck"]["command"]
    assert command[0] == "CMD-SHELL"
    assert f"http://127.0.0.1:{ingest['admin_port']}{ingest['health_check_path']}" in command[1]
    for container in _containers(stack_plan).values():
        options = container["logConfiguration"]["options"]
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        assert (
            options["awslogs-group"] == stack_plan.outputs["ingestLogGroup"]
            and options["awslogs-region"] == stack_plan.region
        )


def test_log_group_is_encrypted_with_the_stack_key_and_expires(stack_plan: StackPlan) -> None:
    group = _named(stack_plan, "aws:cloudwatch/logGroup:LogGroup", "ingest-logs")
    assert group.inputs["name"] == f"/sp/{stack_plan.stack}/ingest" == stack_plan.outputs["ingestLogGroup"]
    assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert group.inputs["retentionInDays"] == _ingest(stack_plan)["log_retention_days"]


# --- Rendered gateway config -----------------------------------------------------------------------


def test_gateway_config_reads_http_and_writes_the_stacks_topic_over_iam_and_tls(stack_plan: StackPlan) -> None:
    config = _gateway_config(stack_plan)
    ingest = _ingest(stack_plan)
    server = config["input"]["http_server"]
    assert server["address"] == f"0.0.0.0:{ingest['container_port']}"
    assert server["path"] == ingest["ingest_path"] and server["ws_path"] == f"{ingest['ingest_path']}/ws"
    assert server["allowed_verbs"] == ["POST"]
    assert config["http"]["address"] == f"0.0.0.0:{ingest['admin_port']}"
    output = config["output"]["kafka_franz"]
    assert output["topic"] == ingest["topic"] and output["topic"] in stack_plan.config["workload"]["topics"]
    assert output["seed_brokers"] == stack_plan.outputs["kafkaBootstrapBrokersIam"].split(",")
    assert all(broker.endswith(":9098") for broker in output["seed_brokers"])
    assert output["tls"] == {"enabled": True}
    assert output["sasl"] == [{"mechanism": "AWS_MSK_IAM", "aws": {"region": stack_plan.region}}]
    assert output["idempotent_write"] is True
    assert set(config) == {"http", "input", "output", "logger", "metrics"}


@settings(deadline=None)  # rendering reads the template once; a busy CI host must not flake
@given(
    brokers=st.lists(
        st.from_regex(
            r"b-[1-9]\.[a-z][a-z0-9-]{0,20}\.kafka\.[a-z]{2}-[a-z]+-[1-9]\.amazonaws\.com:9098", fullmatch=True
        ),
        min_size=1,
        max_size=6,
    ),
    topic=st.from_regex(r"[a-zA-Z0-9._-]{1,40}", fullmatch=True),
    path=st.from_regex(r"(/[a-z0-9-]{1,10}){1,3}", fullmatch=True),
)
def test_any_brokers_topic_and_path_render_to_the_same_values(brokers: list[str], topic: str, path: str) -> None:
    values = GatewayConfigValues(
        stack="s",
        region="us-east-1",
        topic=topic,
        client_id="sp-s-ingest",
        ingest_port=8080,
        admin_port=4195,
        ingest_path=path,
    )
    config = yaml.safe_load(render_gateway_config(TEMPLATE, values, ",".join(brokers)))
    assert config["output"]["kafka_franz"]["seed_brokers"] == brokers
    assert config["output"]["kafka_franz"]["topic"] == topic
    assert config["input"]["http_server"]["path"] == path


@given(st.lists(st.from_regex(r"[a-z0-9.-]{1,30}:[0-9]{4}", fullmatch=True), min_size=1, max_size=9))
def test_split_brokers_inverts_msk_bootstrap_strings(brokers: list[str]) -> None:
    assert split_brokers(",".join(brokers)) == brokers
    assert split_brokers(" , ".join(brokers) + ",") == brokers


def test_rendering_refuses_missing_brokers_and_undefined_variables() -> None:
    values = GatewayConfigValues(
        stack="s",
        region="us-east-1",
        topic="events",
        client_id="c",
        ingest_port=8080,
        admin_port=4195,
        ingest_path="/e",
    )
    with pytest.raises(ValueError, match="no SASL/IAM bootstrap brokers"):
        render_gateway_config(TEMPLATE, values, "")
    with pytest.raises(jinja2.UndefinedError):
        _templates().from_string("brokers: {{ brokerz }}").render(values.context(["b:9098"]))


def test_container_definitions_carry_the_config_byte_for_byte() -> None:
    layout = TaskLayout(
        image="img:1.0",
        ingest_port=8080,
        admin_port=4195,
        health_check_path="/ping",
        log_group="/g",
        region="eu-west-1",
    )
    text = 'a: "$HOME ${X} %s"\n'
    writer, gateway = container_definitions(layout, text)
    assert writer["environment"] == [{"name": CONFIG_ENV, "value": text}]
    assert json.loads(json.dumps([writer, gateway]))[0]["environment"][0]["value"] == text


# --- IAM --------------------------------------------------------------------------------------------


def test_task_role_writes_only_this_stacks_topics(stack_plan: StackPlan) -> None:
    policy = _role_policy(stack_plan, "ingest-task-policy")
    cluster_arn = stack_plan.outputs["kafkaClusterArn"]
    topic_arns = sorted(t["arn"] for t in stack_plan.outputs["kafkaTopics"].values())
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ConnectToTheStacksCluster"]["Resource"] == cluster_arn
    assert set(statements["ConnectToTheStacksCluster"]["Action"]) == {
        "kafka-cluster:Connect",
        "kafka-cluster:WriteDataIdempotently",
    }
    assert sorted(statements["WriteTheStacksTopics"]["Resource"]) == topic_arns
    assert len(topic_arns) == len(stack_plan.config["workload"]["topics"])
    assert set(statements["WriteTheStacksTopics"]["Action"]) == {
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:WriteData",
    }
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert not any(a.endswith("*") for a in actions) and "*" not in json.dumps(
        [s["Resource"] for s in policy["Statement"]]
    )


def test_roles_are_assumed_by_ecs_tasks_and_the_task_role_only_for_this_account(stack_plan: StackPlan) -> None:
    trusts = {}
    for name in ("ingest-task-role", "ingest-execution-role"):
        role = _named(stack_plan, "aws:iam/role:Role", name)
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": ["ecs-tasks.amazonaws.com"]}
        trusts[name] = statement
    account = stack_plan.outputs["accountId"]
    condition = trusts["ingest-task-role"]["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": account}
    assert condition["ArnLike"] == {"aws:SourceArn": f"arn:aws:ecs:{stack_plan.region}:{account}:*"}


def test_execution_role_writes_only_the_task_log_group_for_a_public_image(stack_plan: StackPlan) -> None:
    policy = _role_policy(stack_plan, "ingest-execution-policy")
    log_group_arn = _named(stack_plan, "aws:cloudwatch/logGroup:LogGroup", "ingest-logs").outputs["arn"]
    [statement] = policy["Statement"]
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"] == [log_group_arn, f"{log_group_arn}:*"]


def test_a_private_ecr_image_adds_pull_rights_on_its_repository_only() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gateways/connect:4.38.0"
    assert ecr_repository_arn(image) == "arn:aws:ecr:us-east-1:123456789012:repository/gateways/connect"
    assert ecr_repository_arn("docker.redpanda.com/redpandadata/connect:4.38.0") is None
    statements = {
        s["Sid"]: s for s in execution_role_policy("arn:aws:logs:us-east-1:1:log-group:/g", image)["Statement"]
    }
    assert statements["PullTheGatewayImage"]["Resource"] == ecr_repository_arn(image)
    assert statements["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"


def test_task_role_policy_lists_every_topic_arn() -> None:
    policy = task_role_policy("arn:c", ["arn:t1", "arn:t2"])
    assert policy["Statement"][1]["Resource"] == ["arn:t1", "arn:t2"]


# --- Security groups and autoscaling ------------------------------------------------------------------


def test_ingest_group_admits_only_the_load_balancers(stack_plan: StackPlan) -> None:
    groups = stack_plan.outputs["securityGroupIds"]
    rules = [
        r
        for r in stack_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == groups["ingest"]
    ]
    sources = {groups["alb"]}
    nlb_group = [r for r in stack_plan.of_type("aws:ec2/securityGroup:SecurityGroup") if r.name == "edge-nlb-sg"]
    sources |= {g.outputs["id"] for g in nlb_group}
    ingest = _ingest(stack_plan)
    assert {r.inputs.get("referencedSecurityGroupId") for r in rules} == sources
    assert all("cidrIpv4" not in r.inputs and "cidrIpv6" not in r.inputs for r in rules)
    expected = sorted((source, port) for source in sources for port in (ingest["container_port"], ingest["admin_port"]))
    assert sorted((r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"]) for r in rules) == expected


def test_autoscaling_tracks_cpu_and_alb_requests_per_target(stack_plan: StackPlan) -> None:
    ingest = _ingest(stack_plan)
    target = _named(stack_plan, SCALING_TARGET, "ingest-scaling-target")
    service = stack_plan.one("aws:ecs/service:Service")
    assert target.inputs["resourceId"] == scaling_resource_id(
        stack_plan.outputs["ecsClusterName"], stack_plan.outputs["ingestServiceName"]
    )
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (ingest["min_tasks"], ingest["max_tasks"])
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount" and service.urn in target.dependencies
    policies = {
        p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["predefinedMetricType"]: p
        for p in stack_plan.of_type("aws:appautoscaling/policy:Policy")
        if p.parent == target.urn
    }
    assert set(policies) == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    cpu = policies["ECSServiceAverageCPUUtilization"].inputs["targetTrackingScalingPolicyConfiguration"]
    assert cpu["targetValue"] == ingest["cpu_target_percent"]
    requests = policies["ALBRequestCountPerTarget"].inputs["targetTrackingScalingPolicyConfiguration"]
    assert requests["targetValue"] == ingest["requests_per_target"]
    label = f"{stack_plan.outputs['albArnSuffix']}/{stack_plan.outputs['albTargetGroupArnSuffix']}"
    assert requests["predefinedMetricSpecification"]["resourceLabel"] == label
    assert all(
        p.inputs["policyType"] == "TargetTrackingScaling" and p.inputs["resourceId"] == target.inputs["resourceId"]
        for p in policies.values()
    )


def test_outputs_and_component(stack_plan: StackPlan) -> None:
    assert set(INGEST_OUTPUTS) <= set(stack_plan.outputs)
    capacity = stack_plan.outputs["ingestCapacity"]
    assert (capacity["minTasks"], capacity["maxTasks"]) == (
        _ingest(stack_plan)["min_tasks"],
        _ingest(stack_plan)["max_tasks"],
    )
    [component] = [c for c in stack_plan.components() if c.type == "streaming:ingest:Ingest"]
    for type_token in ("aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/cluster:Cluster"):
        assert stack_plan.component_of(stack_plan.one(type_token)) == component
    assert stack_plan.component_of(_named(stack_plan, SCALING_TARGET, "ingest-scaling-target")) == component


# --- Config rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpu", "memory", "key"),
    [(300, 1024, "ingest.cpu"), (1024, 1024, "ingest.memoryMib"), (4096, 40960, "ingest.memoryMib")],
)
def test_bad_fargate_size_is_a_config_error(cpu: int, memory: int, key: str) -> None:
    [message] = config_errors("staging", {"ingest": {"cpu": cpu, "memoryMib": memory}})
    assert f"{key} = " in message and "Fargate" in message


def test_prod_min_tasks_below_az_count_is_a_config_error() -> None:
    [message] = config_errors("prod", {"ingest": {"minTasks": 2}})
    assert "ingest.minTasks = 2" in message and "one task per AZ" in message and ">= 3" in message
    assert config_errors("staging", {"ingest": {"minTasks": 1}}) == [], "only prod needs a task per AZ"


def test_max_tasks_below_min_tasks_is_a_config_error() -> None:
    [message] = config_errors("dev", {"ingest": {"minTasks": 2, "maxTasks": 1}})
    assert "ingest.maxTasks = 1" in message and "ingest.minTasks (2)" in message


def test_admin_port_must_differ_from_the_ingest_port() -> None:
    [message] = config_errors("dev", {"ingest": {"adminPort": 8080}})
    assert "ingest.adminPort = 8080" in message and "must differ" in message


@pytest.mark.parametrize(
    "image", ["docker.redpanda.com/redpandadata/connect", "redpandadata/connect:latest", "localhost:5000/connect"]
)
def test_unpinned_image_is_a_config_error(image: str) -> None:
    [message] = config_errors("dev", {"ingest": {"image": image}})
    assert "ingest.image" in message and "pin" in message


def test_pinned_images_pass() -> None:
    assert image_pin_problem("localhost:5000/connect:4.38.0") is None
    assert image_pin_problem("redpandadata/connect@sha256:" + "a" * 64) is None


def test_missing_template_is_a_config_error() -> None:
    [message] = config_errors("dev", {"ingest": {"configTemplate": "ingest/nope.yaml.j2"}})
    assert "ingest.configTemplate = 'ingest/nope.yaml.j2'" in message and "no such template" in message


def test_topic_must_be_a_workload_topic() -> None:
    [message] = config_errors("dev", {"ingest": {"topic": "other"}})
    assert "ingest.topic = 'other'" in message and "events" in message


@pytest.mark.parametrize("path", ["v1/events", "/v1/events/"])
def test_ingest_path_shape_is_checked(path: str) -> None:
    [message] = config_errors("dev", {"ingest": {"ingestPath": path}})
    assert "ingest.ingestPath" in message and "start with '/'" in message
