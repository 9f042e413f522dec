"""Safety checks a drill makes before it acts: stack tags on every target, and stop-condition alarms.

A drill only touches resources tagged ``stack=<stack>`` (the provider's default tag on
everything the program creates), so a wrong outputs file or a copy-paste slip cannot
reboot another environment's brokers. Tags are read with the owning service's own API
(exact for every type we act on, including EMR clusters and Route 53 health checks);
``resourcegroupstaggingapi:GetResources`` covers any other service.

Stop conditions are CloudWatch alarms; any of them in state ALARM stops the drill, which
then rolls back what it did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.drills.calls import Arn, Clients

STACK_TAG = "stack"


@dataclass(frozen=True)
class TagTarget:
    """A resource a step acts on, the region its API lives in, and the stack that must own it."""

    arn: str
    region: str
    stack: str


class TargetRefusedError(RuntimeError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("refused: " + "; ".join(problems))
        self.problems = list(problems)


class StopConditionError(RuntimeError):
    def __init__(self, alarms: Sequence[str], source: str = "CloudWatch") -> None:
        super().__init__(f"stop condition ({source}): {', '.join(alarms)}")
        self.alarms = list(alarms)


TagReader = Callable[[Clients, str, Arn, str], dict[str, str]]
"""(clients, ARN, parsed ARN, region of the API) -> the resource's tags."""


def _pairs(items: Sequence[Mapping[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {item[key]: item[value] for item in items}


def _s3(clients: Clients, text: str, arn: Arn, region: str) -> dict[str, str]:
    try:
        return _pairs(clients("s3", region).get_bucket_tagging(Bucket=arn.resource)["TagSet"])
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchTagSet":
            return {}
        raise


def _by_arn(
    service: str, method: str, parameter: str, result: str, key: str = "Key", value: str = "Value"
) -> TagReader:
    def read(clients: Clients, text: str, arn: Arn, region: str) -> dict[str, str]:
        response = getattr(clients(service, region), method)(**{parameter: text})
        tags = response[result]
        return dict(tags) if isinstance(tags, dict) else _pairs(tags, key, value)

    return read


def _emr(clients: Clients, text: str, arn: Arn, region: str) -> dict[str, str]:
    cluster_id = arn.resource.split("/", 1)[1]
    return _pairs(clients("emr", region).describe_cluster(ClusterId=cluster_id)["Cluster"].get("Tags", []))


def _route53(clients: Clients, text: str, arn: Arn, region: str) -> dict[str, str]:
    kind, resource_id = arn.resource.split("/", 1)
    response = clients("route53", region).list_tags_for_resource(ResourceType=kind, ResourceId=resource_id)
    return _pairs(response["ResourceTagSet"].get("Tags", []))


READERS: Mapping[str, TagReader] = {
    "s3": _s3,
    "elasticache": _by_arn("elasticache", "list_tags_for_resource", "ResourceName", "TagList"),
    "kafka": _by_arn("kafka", "list_tags_for_resource", "ResourceArn", "Tags"),
    "ecs": _by_arn("ecs", "list_tags_for_resource", "resourceArn", "tags", "key", "value"),
    "backup": _by_arn("backup", "list_tags", "ResourceArn", "Tags"),
    "fis": _by_arn("fis", "list_tags_for_resource", "resourceArn", "tags"),
    "cloudwatch": _by_arn("cloudwatch", "list_tags_for_resource", "ResourceARN", "Tags"),
    "elasticmapreduce": _emr,
    "route53": _route53,
}


def _tagging_api(clients: Clients, text: str, arn: Arn, region: str) -> dict[str, str]:
    found = clients("resourcegroupstaggingapi", region).get_resources(ResourceARNList=[text])
    mappings = found.get("ResourceTagMappingList", [])
    return _pairs(mappings[0].get("Tags", [])) if mappings else {}


class TagGuard:
    def __init__(self, clients: Clients) -> None:
        self._clients = clients

    def tags(self, target: TagTarget) -> dict[str, str]:
        arn = Arn.parse(target.arn)
        reader = READERS.get(arn.service, _tagging_api)
        return reader(self._clients, target.arn, arn, target.region)

    def check(self, targets: Sequence[TagTarget]) -> None:
        """Raise TargetRefusedError naming every target that is missing or not tagged with its stack."""
        problems = []
        for target in targets:
            try:
                found = self.tags(target).get(STACK_TAG)
            except ClientError as error:
                problems.append(f"{target.arn}: cannot read its tags ({error.response['Error']['Code']})")
                continue
            if found != target.stack:
                shown = f"'{found}'" if found is not None else "missing"
                problems.append(f"{target.arn}: tag {STACK_TAG} is {shown}, expected '{target.stack}'")
        if problems:
            raise TargetRefusedError(problems)


class StopWatch:
    """The stop-condition alarms, per region."""

    def __init__(self, clients: Clients, alarms: Mapping[str, Sequence[str]]) -> None:
        self._clients = clients
        self.alarms = {region: list(names) for region, names in alarms.items() if names}

    def _describe(self, region: str, names: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(names), 100):  # DescribeAlarms takes up to 100 names
            response = self._clients("cloudwatch", region).describe_alarms(
                AlarmNames=list(names[start : start + 100]), AlarmTypes=["MetricAlarm", "CompositeAlarm"]
            )
            found += response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
        return found

    def missing(self) -> list[str]:
        """Stop alarms that do not exist: a drill must not start without its brakes."""
        absent = []
        for region, names in self.alarms.items():
            present = {alarm["AlarmName"] for alarm in self._describe(region, names)}
            absent += [f"{name} ({region})" for name in names if name not in present]
        return absent

    def firing(self) -> list[str]:
        return [
            alarm["AlarmName"]
            for region, names in self.alarms.items()
            for alarm in self._describe(region, names)
            if alarm["StateValue"] == "ALARM"
        ]

    def check(self) -> None:
        firing = self.firing()
        if firing:
            raise StopConditionError(firing)


def alarms_in_state(clients: Clients, region: str, names: Sequence[str], state: str = "ALARM") -> list[str]:
    """Which of the named alarms are in ``state`` now (used for detection)."""
    return [
        alarm["AlarmName"]
        for start in range(0, len(names), 100)
        for alarm in clients("cloudwatch", region)
        .describe_alarms(AlarmNames=list(names[start : start + 100]))
        .get("MetricAlarms", [])
        if alarm["StateValue"] == state
    ]
