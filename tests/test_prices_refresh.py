"""`blueprint prices refresh` against a stubbed Price List API (botocore Stubber).

moto does not emulate the Price List API usefully, so each GetProducts call is stubbed
with the exact request the command must send and a response shaped like AWS's.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from infra.cli import prices
from infra.config import clock
from infra.review.cost import load_price_book

TODAY = date(2027, 1, 15)

DOCUMENT: dict[str, Any] = {
    "effective_date": "2026-11-26",
    "currency": "USD",
    "source": "test figures, refreshed from the AWS Price List API",
    "last_refresh": None,
    "hours_per_month": 730,
    "regions": {
        "us-east-1": {
            "msk_broker_hour": {"kafka.m7g.large": 0.204, "kafka.m5.large": 0.21},
            "msk_storage_gb_month": 0.1,
            "ec2_instance_hour": {"m7g.xlarge": 0.1632},
            "nat_gateway_hour": 0.045,
            "nat_gateway_gb": 0.045,
            "waf_web_acl_month": 5.0,
            "low_confidence": ["msk_broker_hour/kafka.m7g.large", "ec2_instance_hour", "waf_web_acl_month"],
        },
        "eu-west-1": {"nat_gateway_hour": 0.048},
    },
}


def product(usage_type: str, *tiers: tuple[str, float], **attributes: str) -> str:
    """One GetProducts PriceList entry (a JSON string, as AWS returns it)."""
    dimensions = {
        f"SKU.TERM.RATE{index}": {"beginRange": begin, "unit": "Hrs", "pricePerUnit": {"USD": f"{usd:.10f}"}}
        for index, (begin, usd) in enumerate(tiers)
    }
    return json.dumps(
        {
            "product": {"sku": f"SKU-{usage_type}", "attributes": {"usagetype": usage_type, **attributes}},
            "terms": {"OnDemand": {"SKU.TERM": {"priceDimensions": dimensions}}},
        }
    )


def request(service_code: str, *filters: tuple[str, str], next_token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ServiceCode": service_code,
        "Filters": [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in filters],
        "FormatVersion": "aws_v1",
    }
    if next_token:
        params["NextToken"] = next_token
    return params


def page(*items: str, next_token: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": list(items)}
    if next_token:
        response["NextToken"] = next_token
    return response


REGION = ("regionCode", "us-east-1")
EC2_FILTERS = (
    REGION,
    ("instanceType", "m7g.xlarge"),
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("licenseModel", "No License required"),
)
NAT_FILTERS = (REGION, ("productFamily", "NAT Gateway"))


def stub_full_refresh(stubber: Stubber) -> None:
    """The three calls a us-east-1 refresh of DOCUMENT makes, in order."""
    stubber.add_response(
        "get_products",
        page(
            product("USE1-Kafka.m7g.large", ("0", 0.2142)),
            product("USE1-Kafka.m7g.xlarge", ("0", 0.4284)),
            next_token="page-2",
        ),
        request("AmazonMSK", REGION),
    )
    stubber.add_response(
        "get_products",
        page(product("USE1-Kafka.m5.large", ("0", 0.21)), product("USE1-Kafka.Storage.GP2", ("0", 0.10))),
        request("AmazonMSK", REGION, next_token="page-2"),
    )
    stubber.add_response("get_products", page(), request("AmazonEC2", *EC2_FILTERS))
    stubber.add_response(
        "get_products",
        page(
            product("USE1-NatGateway-Hours", ("0", 0.045)),
            product("USE1-NatGateway-Bytes", ("0", 0.046)),
            product("USE1-RegionalNatGateway-Hours", ("0", 0.09)),
        ),
        request("AmazonEC2", *NAT_FILTERS),
    )


@pytest.fixture
def pricing() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_refresh_writes_new_figures_bumps_the_date_and_keeps_what_it_cannot_find(
    pricing: tuple[Any, Stubber],
) -> None:
    client, stubber = pricing
    stub_full_refresh(stubber)
    updated, report = prices.refresh_prices(DOCUMENT, client, ["us-east-1"], TODAY)
    east = updated["regions"]["us-east-1"]
    assert east["msk_broker_hour"] == {"kafka.m7g.large": 0.2142, "kafka.m5.large": 0.21}
    assert east["nat_gateway_gb"] == 0.046
    assert east["nat_gateway_hour"] == 0.045  # RegionalNatGateway-Hours is another product
    assert east["ec2_instance_hour"] == {"m7g.xlarge": 0.1632}  # not found: left as it was
    assert east["waf_web_acl_month"] == 5.0  # no Price List query: left as it was
    assert east["low_confidence"] == ["ec2_instance_hour", "waf_web_acl_month"]
    assert updated["regions"]["eu-west-1"] == DOCUMENT["regions"]["eu-west-1"]
    assert updated["effective_date"] == "2027-01-15"
    assert updated["last_refresh"]["confirmed"] == 5
    assert updated["last_refresh"]["changed"] == 2
    assert updated["last_refresh"]["kept_as_transcribed"] == [
        "us-east-1/ec2_instance_hour/m7g.xlarge",
        "us-east-1/waf_web_acl_month",
    ]
    assert report.changed == [
        ("us-east-1/msk_broker_hour/kafka.m7g.large", 0.204, 0.2142),
        ("us-east-1/nat_gateway_gb", 0.045, 0.046),
    ]
    assert report.not_found == ["us-east-1/ec2_instance_hour/m7g.xlarge"]
    assert report.no_query == ["us-east-1/waf_web_acl_month"]
    assert DOCUMENT["regions"]["us-east-1"]["msk_broker_hour"]["kafka.m7g.large"] == 0.204  # input untouched


def test_several_candidate_prices_are_reported_and_not_written(pricing: tuple[Any, Stubber]) -> None:
    client, stubber = pricing
    document = copy.deepcopy(DOCUMENT)
    document["regions"]["us-east-1"] = {"nat_gateway_hour": 0.045}
    stubber.add_response(
        "get_products",
        page(product("USE1-NatGateway-Hours", ("0", 0.045)), product("NatGateway-Hours", ("0", 0.05))),
        request("AmazonEC2", *NAT_FILTERS),
    )
    updated, report = prices.refresh_prices(document, client, ["us-east-1"], TODAY)
    assert updated["regions"]["us-east-1"]["nat_gateway_hour"] == 0.045
    assert report.ambiguous == [("us-east-1/nat_gateway_hour", (0.045, 0.05))]
    assert updated["effective_date"] == "2026-11-26"  # nothing confirmed: the date stays
    assert "  several prices (0.045, 0.05): us-east-1/nat_gateway_hour" in prices.report_lines(report, Path("x"))


def test_first_paid_tier_is_the_price() -> None:
    def parsed(*tiers: tuple[str, float]) -> Any:
        return json.loads(product("X", *tiers))

    assert prices.on_demand_usd(parsed(("51200", 0.022), ("0", 0.023))) == 0.023  # S3 volume tiers
    assert prices.on_demand_usd(parsed(("0", 0.0), ("10", 0.10))) == 0.10  # free allowance first
    assert prices.on_demand_usd({"product": {}, "terms": {}}) is None


def test_queries_name_the_right_products() -> None:
    paths = prices.price_paths(
        {
            "regions": {
                "eu-west-1": {
                    "elasticache_node_hour": {"valkey": {"cache.r7g.large": 0.19}},
                    "msk_broker_hour": {"kafka.m7g.large": 0.23},
                    "low_confidence": ["msk_broker_hour"],
                }
            }
        },
        ["eu-west-1"],
    )
    queries, no_query = prices.build_queries([*paths, ("eu-west-1", "route53_hosted_zone_month")])
    cache, broker = queries
    assert cache.service_code == "AmazonElastiCache"
    assert cache.filters == (
        ("regionCode", "eu-west-1"),
        ("instanceType", "cache.r7g.large"),
        ("cacheEngine", "Valkey"),
    )
    assert prices.matching_prices([json.loads(product("EU-NodeUsage:cache.r7g.large", ("0", 0.19)))], cache.usage_type)
    kafka = [
        json.loads(product(usage_type, ("0", price)))
        for usage_type, price in (("EU-Kafka.m7g.large", 0.23), ("EU-Kafka.m7g.xlarge", 0.46))
    ]
    assert prices.matching_prices(kafka, broker.usage_type) == (0.23,)
    assert no_query == [("eu-west-1", "route53_hosted_zone_month")]


def test_every_region_of_the_real_file_gets_queries() -> None:
    document = yaml.safe_load(prices.PRICE_FILE.read_text(encoding="utf-8"))
    paths = prices.price_paths(document, list(document["regions"]))
    queries, no_query = prices.build_queries(paths)
    assert len(queries) + len(no_query) == len(paths)
    assert {query.path[1] for query in queries} == set(prices.QUERY_SHAPES)  # every shape is used


# --------------------------------------------------------------------- the command


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="blueprint")
    prices.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["prices", "refresh", *argv])
    code: int = args.func(args)
    return code


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT, sort_keys=False), encoding="utf-8")
    return path


def test_command_without_credentials_exits_2_and_changes_nothing(
    price_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    before = price_file.read_bytes()
    assert run_cli("--input", str(price_file)) == 2
    assert "no AWS credentials found" in capsys.readouterr().err
    assert price_file.read_bytes() == before


def test_command_writes_the_refreshed_file(
    price_file: Path,
    tmp_path: Path,
    pricing: tuple[Any, Stubber],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, stubber = pricing
    stub_full_refresh(stubber)
    monkeypatch.setattr(prices, "_pricing_client", lambda: client)
    output = tmp_path / "out.yaml"
    assert run_cli("--input", str(price_file), "--output", str(output), "--regions", "us-east-1") == 0
    printed = capsys.readouterr().out
    assert "5 figures confirmed, 2 changed" in printed
    assert "changed us-east-1/msk_broker_hour/kafka.m7g.large: 0.204 -> 0.2142" in printed
    assert "not found: us-east-1/ec2_instance_hour/m7g.xlarge" in printed
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Written by `blueprint prices refresh` on ")
    book = load_price_book(output)
    assert book.effective_date == clock.today().isoformat()
    assert book.rate("us-east-1", "msk_broker_hour", "kafka.m7g.large") == 0.2142


def test_command_reports_an_api_refusal_exits_1_and_writes_nothing(
    price_file: Path,
    tmp_path: Path,
    pricing: tuple[Any, Stubber],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, stubber = pricing
    stubber.add_client_error("get_products", service_error_code="AccessDeniedException", http_status_code=400)
    monkeypatch.setattr(prices, "_pricing_client", lambda: client)
    output = tmp_path / "out.yaml"
    assert run_cli("--input", str(price_file), "--output", str(output), "--regions", "us-east-1") == 1
    assert "Price List API call failed" in capsys.readouterr().err
    assert not output.exists()


def test_command_with_nothing_matched_exits_1(
    tmp_path: Path, pricing: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = pricing
    document = copy.deepcopy(DOCUMENT)
    document["regions"] = {"us-east-1": {"nat_gateway_hour": 0.045}}
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    stubber.add_response("get_products", page(), request("AmazonEC2", *NAT_FILTERS))
    monkeypatch.setattr(prices, "_pricing_client", lambda: client)
    assert run_cli("--input", str(path)) == 1
    assert "Nothing matched" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--regions", "ap-south-2"), "ap-south-2 not in the price file (it has us-east-1, eu-west-1)"),
        (("--input", "/nonexistent/prices.yaml"), "cannot use price file /nonexistent/prices.yaml"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    price_file: Path, arguments: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = arguments if "--input" in arguments else ("--input", str(price_file), *arguments)
    assert run_cli(*argv) == 2
    assert message in capsys.readouterr().err


def test_a_broken_price_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("regions: {}\n", encoding="utf-8")
    assert run_cli("--input", str(path)) == 2
    assert "missing 'effective_date'" in capsys.readouterr().err
