"""`blueprint prices refresh`: update the price file from the AWS Price List Query API.

Why: the cost estimate is only as good as ``infra/data/prices.yaml``. This command asks
the Price List Query API (``pricing:GetProducts``, served from us-east-1) for every
figure it knows how to look up, writes back the ones AWS answers unambiguously, bumps
the file's date and records the run in ``last_refresh``; everything else (not found,
several candidate prices, or no query defined) is left as it was and reported.
Without AWS credentials it says so and exits 2 (ExitCode.USAGE), changing nothing.

boto3 is imported inside the functions that need it so ``blueprint --help`` stays fast.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from infra.cli.exit_codes import ExitCode, epilog
from infra.config import clock
from infra.review.cost import PRICE_FILE, PriceFileError, parse_price_book

PRICING_API_REGION = "us-east-1"
LOW_CONFIDENCE = "low_confidence"

PricePath = tuple[str, ...]
"""(region, key, *items), e.g. ("us-east-1", "msk_broker_hour", "kafka.m7g.large")."""


@dataclass(frozen=True)
class PriceQuery:
    """One GetProducts question and the usage type that picks the answer out of it."""

    path: PricePath
    service_code: str
    filters: tuple[tuple[str, str], ...]
    usage_type: str | None
    """Regular expression searched in the product's ``usagetype`` (None: any)."""


@dataclass
class RefreshReport:
    regions: list[str]
    changed: list[tuple[str, float, float]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, tuple[float, ...]]] = field(default_factory=list)
    no_query: list[str] = field(default_factory=list)

    @property
    def found(self) -> int:
        return len(self.changed) + len(self.unchanged)

    def kept(self) -> list[str]:
        return sorted([*self.not_found, *(label for label, _ in self.ambiguous), *self.no_query])


# --------------------------------------------------------------------- queries

_LINUX_SHARED = (
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("licenseModel", "No License required"),
)
_PRICE_LIST_ENGINE = {"valkey": "Valkey", "redis": "Redis"}

QueryShape = tuple[str, tuple[tuple[str, str], ...], str | None]
"""(service code, filters besides regionCode, usage-type pattern)."""


def _fixed(service_code: str, usage_type: str, *filters: tuple[str, str]) -> Callable[[tuple[str, ...]], QueryShape]:
    """A scalar price: one product family, picked by its usage type (region prefix optional)."""
    return lambda items: (service_code, filters, rf"(^|-){usage_type}$")


def _msk_broker(items: tuple[str, ...]) -> QueryShape:
    size = re.escape(items[0].removeprefix("kafka."))
    return ("AmazonMSK", (), rf"(^|-)Kafka\.{size}$")


def _ec2_instance(items: tuple[str, ...]) -> QueryShape:
    return ("AmazonEC2", (("instanceType", items[0]), *_LINUX_SHARED), r"BoxUsage:")


def _emr_uplift(items: tuple[str, ...]) -> QueryShape:
    return ("ElasticMapReduce", (("instanceType", items[0]), ("softwareType", "EMR")), None)


def _elasticache_node(items: tuple[str, ...]) -> QueryShape:
    engine, node_type = items
    filters = (("instanceType", node_type), ("cacheEngine", _PRICE_LIST_ENGINE.get(engine, engine.title())))
    return ("AmazonElastiCache", filters, r"NodeUsage:")


# Price List attribute names and usage types as AWS publishes them (GetProducts output,
# checked 2026-11-26 against public Price List API clients). Keys without an entry
# (MSK Replicator, WAF, Route 53, Backup, data transfer, ...) are kept and reported.
QUERY_SHAPES: Mapping[str, Callable[[tuple[str, ...]], QueryShape]] = {
    "msk_broker_hour": _msk_broker,
    "msk_storage_gb_month": _fixed("AmazonMSK", r"Kafka\.Storage\.GP2"),
    "ec2_instance_hour": _ec2_instance,
    "emr_uplift_hour": _emr_uplift,
    "elasticache_node_hour": _elasticache_node,
    "nat_gateway_hour": _fixed("AmazonEC2", "NatGateway-Hours", ("productFamily", "NAT Gateway")),
    "nat_gateway_gb": _fixed("AmazonEC2", "NatGateway-Bytes", ("productFamily", "NAT Gateway")),
    "interface_endpoint_az_hour": _fixed("AmazonVPC", "VpcEndpoint-Hours", ("productFamily", "VpcEndpoint")),
    "interface_endpoint_gb": _fixed("AmazonVPC", "VpcEndpoint-Bytes", ("productFamily", "VpcEndpoint")),
    "public_ipv4_hour": _fixed("AmazonVPC", "PublicIPv4:InUseAddress", ("group", "VPCPublicIPv4Address")),
    "alb_hour": _fixed("AWSELB", "LoadBalancerUsage", ("productFamily", "Load Balancer-Application")),
    "alb_lcu_hour": _fixed("AWSELB", "LCUUsage", ("productFamily", "Load Balancer-Application")),
    "nlb_hour": _fixed("AWSELB", "LoadBalancerUsage", ("productFamily", "Load Balancer-Network")),
    "nlb_nlcu_hour": _fixed("AWSELB", "LCUUsage", ("productFamily", "Load Balancer-Network")),
    "fargate_vcpu_hour": _fixed("AmazonECS", "Fargate-vCPU-Hours:perCPU"),
    "fargate_gb_hour": _fixed("AmazonECS", "Fargate-GB-Hours"),
    "fargate_arm_vcpu_hour": _fixed("AmazonECS", "Fargate-ARM-vCPU-Hours:perCPU"),
    "fargate_arm_gb_hour": _fixed("AmazonECS", "Fargate-ARM-GB-Hours"),
    "s3_standard_gb_month": _fixed(
        "AmazonS3",
        "TimedStorage-ByteHrs",
        ("productFamily", "Storage"),
        ("storageClass", "General Purpose"),
        ("volumeType", "Standard"),
    ),
    "cloudwatch_alarm_month": _fixed("AmazonCloudWatch", "CW:AlarmMonitorUsage", ("productFamily", "Alarm")),
    "cloudwatch_high_resolution_alarm_month": _fixed(
        "AmazonCloudWatch", "CW:HighResAlarmMonitorUsage", ("productFamily", "Alarm")
    ),
    "cloudwatch_composite_alarm_month": _fixed(
        "AmazonCloudWatch", "CW:CompositeAlarmMonitorUsage", ("productFamily", "Alarm")
    ),
    "kms_key_month": _fixed("awskms", "KMS-Keys", ("productFamily", "Encryption Key")),
    "secret_month": _fixed("AWSSecretsManager", "AWSSecretsManager-Secrets", ("productFamily", "Secret")),
}


def price_paths(document: Mapping[str, Any], regions: list[str]) -> list[PricePath]:
    """Every numeric figure of the given regions, in file order."""
    paths: list[PricePath] = []

    def walk(prefix: PricePath, node: Any) -> Iterator[PricePath]:
        if isinstance(node, Mapping):
            for name, child in node.items():
                yield from walk((*prefix, str(name)), child)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            yield prefix

    for region in regions:
        prices = {key: value for key, value in document["regions"][region].items() if key != LOW_CONFIDENCE}
        paths.extend(walk((region,), prices))
    return paths


def build_queries(paths: list[PricePath]) -> tuple[list[PriceQuery], list[PricePath]]:
    """Queries for the figures the API can answer, and the paths it cannot."""
    queries, no_query = [], []
    for path in paths:
        region, key, *items = path
        shape = QUERY_SHAPES.get(key)
        if shape is None:
            no_query.append(path)
            continue
        service_code, filters, usage_type = shape(tuple(items))
        queries.append(PriceQuery(path, service_code, (("regionCode", region), *filters), usage_type))
    return queries, no_query


# --------------------------------------------------------------------- answers


def on_demand_usd(product: Mapping[str, Any]) -> float | None:
    """The product's on-demand USD rate: its first paid tier.

    Free allowances (CloudWatch's first alarms, ...) are account-wide and the estimate
    ignores free tiers, so a $0 first tier is skipped; volume tiers after the first
    paid one are cheaper and left out.
    """
    for term in (product.get("terms") or {}).get("OnDemand", {}).values():
        dimensions = sorted(
            (term.get("priceDimensions") or {}).values(),
            key=lambda dimension: float(dimension.get("beginRange") or 0),
        )
        for dimension in dimensions:
            price = float((dimension.get("pricePerUnit") or {}).get("USD") or 0)
            if price > 0:
                return price
    return None


def matching_prices(products: list[Mapping[str, Any]], usage_type: str | None) -> tuple[float, ...]:
    """Distinct on-demand rates of the products whose usage type matches."""
    pattern = re.compile(usage_type) if usage_type else None
    prices = set()
    for product in products:
        attributes = (product.get("product") or {}).get("attributes") or {}
        if pattern is not None and not pattern.search(str(attributes.get("usagetype", ""))):
            continue
        price = on_demand_usd(product)
        if price is not None:
            prices.add(round(price, 10))
    return tuple(sorted(prices))


def fetch_prices(client: Any, queries: list[PriceQuery]) -> dict[PricePath, tuple[float, ...]]:
    """Ask GetProducts once per (service, filters) and answer every query from that."""
    grouped: dict[tuple[str, tuple[tuple[str, str], ...]], list[PriceQuery]] = defaultdict(list)
    for query in queries:
        grouped[(query.service_code, query.filters)].append(query)
    answers: dict[PricePath, tuple[float, ...]] = {}
    paginator = client.get_paginator("get_products")
    for (service_code, filters), members in grouped.items():
        pages = paginator.paginate(
            ServiceCode=service_code,
            Filters=[{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in filters],
            FormatVersion="aws_v1",
        )
        products = [json.loads(item) if isinstance(item, str) else item for page in pages for item in page["PriceList"]]
        for query in members:
            answers[query.path] = matching_prices(products, query.usage_type)
    return answers


# --------------------------------------------------------------------- the refresh


def refresh_prices(
    document: Mapping[str, Any], client: Any, regions: list[str], today: date
) -> tuple[dict[str, Any], RefreshReport]:
    """The price document with every unambiguous API answer written in, and what happened."""
    report = RefreshReport(regions=list(regions))
    queries, no_query = build_queries(price_paths(document, regions))
    report.no_query = ["/".join(path) for path in no_query]
    updated = copy.deepcopy(dict(document))
    confirmed: set[PricePath] = set()
    for path, prices in fetch_prices(client, queries).items():
        label = "/".join(path)
        if not prices:
            report.not_found.append(label)
            continue
        if len(prices) > 1:
            report.ambiguous.append((label, prices))
            continue
        container = updated["regions"]
        for name in path[:-1]:
            container = container[name]
        old, new = float(container[path[-1]]), prices[0]
        container[path[-1]] = new
        confirmed.add(path)
        if abs(old - new) > 1e-12:
            report.changed.append((label, old, new))
        else:
            report.unchanged.append(label)
    for region in regions:
        _drop_confirmed_flags(updated["regions"][region], region, confirmed, document)
    if report.found:
        updated["effective_date"] = today.isoformat()
    updated["last_refresh"] = {
        "date": today.isoformat(),
        "api": f"AWS Price List Query API, pricing:GetProducts ({PRICING_API_REGION})",
        "regions": list(regions),
        "confirmed": report.found,
        "changed": len(report.changed),
        "kept_as_transcribed": report.kept(),
    }
    return updated, report


def _drop_confirmed_flags(
    prices: dict[str, Any], region: str, confirmed: set[PricePath], document: Mapping[str, Any]
) -> None:
    """A low-confidence flag goes once every figure under it came from the API."""
    flags = prices.get(LOW_CONFIDENCE)
    if not flags:
        return
    region_paths = price_paths(document, [region])
    remaining = []
    for flag in flags:
        prefix = (region, *str(flag).split("/"))
        under = [path for path in region_paths if path[: len(prefix)] == prefix]
        if not under or not all(path in confirmed for path in under):
            remaining.append(flag)
    if remaining:
        prices[LOW_CONFIDENCE] = remaining
    else:
        del prices[LOW_CONFIDENCE]


def report_lines(report: RefreshReport, output: Path) -> list[str]:
    lines = [
        f"Price List API: {report.found} figures confirmed, {len(report.changed)} changed "
        f"({', '.join(report.regions)}); wrote {output}."
    ]
    lines += [f"  changed {label}: {old:g} -> {new:g}" for label, old, new in report.changed]
    kept = len(report.kept())
    if kept:
        lines.append(f"Kept as they were ({kept}):")
        lines += [f"  not found: {label}" for label in report.not_found]
        lines += [
            f"  several prices ({', '.join(f'{price:g}' for price in prices)}): {label}"
            for label, prices in report.ambiguous
        ]
        lines += [f"  no Price List query defined: {label}" for label in report.no_query]
    return lines


# --------------------------------------------------------------------- command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "prices",
        help="Maintain the dated price file behind the cost estimate.",
        description="Maintain infra/data/prices.yaml, the dated price file behind the cost estimate.",
        epilog=epilog(FAILED="the API call failed or matched nothing"),
    )
    actions = parser.add_subparsers(dest="prices_action", required=True, metavar="ACTION")
    refresh = actions.add_parser(
        "refresh",
        help="Update the price file from the AWS Price List API (needs AWS credentials).",
        description=(
            "Ask the AWS Price List Query API for every figure it can answer, write the "
            "answers back, bump the file's date and report what was kept as it was."
        ),
    )
    refresh.add_argument(
        "--regions", nargs="+", metavar="REGION", help="Regions to refresh (default: all in the file)."
    )
    refresh.add_argument("--input", type=Path, default=PRICE_FILE, help="Price file to read (default: %(default)s).")
    refresh.add_argument("--output", type=Path, help="Where to write (default: overwrite --input).")
    refresh.set_defaults(func=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        document = yaml.safe_load(Path(args.input).read_text(encoding="utf-8"))
        parse_price_book(document)
    except (OSError, yaml.YAMLError, PriceFileError) as error:
        return _fail(f"cannot use price file {args.input}: {error}")
    regions = list(args.regions or document["regions"])
    unknown = [region for region in regions if region not in document["regions"]]
    if unknown:
        known = ", ".join(document["regions"])
        return _fail(f"{', '.join(unknown)} not in the price file (it has {known}); add the region first.")
    client = _pricing_client()
    if client is None:
        return _fail(
            "no AWS credentials found (environment, shared config, SSO or instance role); "
            "the Price List API needs pricing:GetProducts. Nothing changed."
        )
    today = clock.today()
    try:
        updated, report = refresh_prices(document, client, regions, today)
    except (BotoCoreError, ClientError) as error:
        return _fail(f"the Price List API call failed: {error}. Nothing changed.", ExitCode.FAILED)
    output = Path(args.output or args.input)
    header = f"# Written by `blueprint prices refresh` on {today.isoformat()}; see source and last_refresh.\n"
    try:
        output.write_text(header + yaml.safe_dump(updated, sort_keys=False, width=100), encoding="utf-8")
    except OSError as error:
        return _fail(f"cannot write {output}: {error.strerror}")
    print("\n".join(report_lines(report, output)))
    if not report.found:
        print("Nothing matched: the Price List filters may be out of date.", file=sys.stderr)
        return ExitCode.FAILED
    return ExitCode.OK


def _pricing_client() -> Any | None:
    """A Price List client, or None when no credentials can be found."""
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        return None
    return session.client("pricing", region_name=PRICING_API_REGION)


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> int:
    print(f"blueprint prices refresh: {message}", file=sys.stderr)
    return code
