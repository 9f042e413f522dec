"""Config validation: one test per rule and per error kind; all problems reported in one run."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, list_stacks, load_stack, parse
from infra.config.tier_defaults import TIER_DEFAULTS
from tests.helpers import config_errors, raw_with


@pytest.mark.parametrize("stack", list_stacks())
def test_every_stack_file_is_valid(stack: str) -> None:
    config, warnings, _ = load_stack(stack)
    assert config.stack == stack
    assert all(w.severity == "warning" for w in warnings)


def test_stack_files_carry_only_what_differs_from_their_tier() -> None:
    for stack in list_stacks():
        raw = raw_with(stack)
        tier = raw["streaming-platform:tier"]
        for key, value in raw.items():
            section = key.split(":", 1)[1]
            if isinstance(value, dict):
                defaults = TIER_DEFAULTS[tier].get(section, {})
                same = [k for k, v in value.items() if defaults.get(k) == v]
                assert not same, f"{stack}: {section}.{same} repeat the {tier} defaults"


def test_prod_is_in_us_east_1_and_dr_in_us_west_2() -> None:
    assert load_stack("prod")[0].region == "us-east-1"
    assert load_stack("prod-dr")[0].region == "us-west-2"


def test_message_names_file_key_value_and_what_is_allowed() -> None:
    [message] = config_errors("prod", {"network": {"azCount": 2}})
    assert message.startswith("stacks/Pulumi.prod.yaml: streaming-platform:network.azCount = 2: ")
    assert "prod needs at least 3 AZs" in message and "3..6" in message


def test_unknown_top_level_key_suggests_the_nearest_name() -> None:
    [message] = config_errors("dev", {"netwrok": {"azCount": 2}})
    assert "streaming-platform:netwrok" in message and "did you mean 'network'?" in message


def test_unknown_nested_key_suggests_the_nearest_name() -> None:
    [message] = config_errors("dev", {"network": {"azcount": 2}})
    assert "network.azcount" in message and "did you mean 'azCount'?" in message


def test_unknown_namespace_is_rejected() -> None:
    [message] = config_errors("dev", {"streaming:tier": "dev"})
    assert "unknown namespace 'streaming'" in message


def test_wrong_type_is_reported() -> None:
    [message] = config_errors("dev", {"network": {"azCount": "three"}})
    assert "network.azCount = 'three'" in message and "integer" in message


def test_out_of_range_is_reported_with_the_bound() -> None:
    [message] = config_errors("staging", {"network": {"azCount": 7}})
    assert "less than or equal to 6" in message


def test_enum_value_lists_the_allowed_values() -> None:
    [message] = config_errors("dev", {"network": {"natGateways": "two"}})
    assert "'single' or 'per-az'" in message


def test_missing_required_key() -> None:
    [message] = config_errors("dev", remove=("owner",))
    assert "streaming-platform:owner = None: required key is missing" in message


def test_missing_region() -> None:
    [message] = config_errors("dev", remove=("aws:region",))
    assert message.startswith("stacks/Pulumi.dev.yaml: aws:region = None: required")


@pytest.mark.parametrize(
    ("stack", "expected"),
    [("Prod_EU", "lowercase letters"), ("prod--eu", "single hyphens"), ("p" * 21, "at most 20 characters")],
)
def test_stack_name_that_aws_names_would_reject(stack: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(raw_with("dev"), stack)
    [message] = [p.format(info.value.stack_file) for p in info.value.problems]
    assert message.startswith(f"stacks/Pulumi.{stack}.yaml: (stack name) = {stack!r}: ") and expected in message


def test_longest_allowed_stack_name_passes() -> None:
    config, _ = parse(raw_with("dev"), "a" * 20)
    assert config.stack == "a" * 20


def test_unsupported_region() -> None:
    [message] = config_errors("dev", {"aws:region": "mars-north-1"})
    assert "aws:region = 'mars-north-1'" in message and "us-east-1" in message


def test_invalid_tier_reports_allowed_tiers() -> None:
    errors = config_errors("dev", {"tier": "qa"})
    assert any("streaming-platform:tier = 'qa'" in e and "'dev', 'staging' or 'prod'" in e for e in errors)
    assert len(errors) == 1, "an invalid tier is one problem, not one per key its defaults would fill"


def test_all_problems_are_reported_in_one_run() -> None:
    errors = config_errors("dev", {"network": {"azCount": 9, "natGateways": "x"}, "colour": "blue"})
    assert len(errors) == 3


def test_cross_field_problems_are_all_reported_together() -> None:
    errors = config_errors("prod", {"network": {"azCount": 2, "natGateways": "single"}})
    assert len(errors) == 2


def test_cidr_too_small_for_the_subnet_tiers() -> None:
    errors = config_errors("dev", {"network": {"cidr": "10.10.0.0/20"}})
    assert errors and all("network.cidr = '10.10.0.0/20'" in e for e in errors)


def test_public_cidr_is_rejected() -> None:
    assert any("network.cidr = '8.8.0.0/16'" in e for e in config_errors("dev", {"network": {"cidr": "8.8.0.0/16"}}))


def test_single_nat_is_dev_only() -> None:
    [message] = config_errors("staging", {"network": {"natGateways": "single"}})
    assert "needs 'per-az'" in message


def test_unknown_interface_endpoint() -> None:
    errors = config_errors(
        "dev", {"network": {"interfaceEndpoints": ["sts", "kms", "logs", "secretsmanager", "ecr.api", "ecr.dkr", "s4"]}}
    )
    assert any("unknown endpoint" in e for e in errors)


def test_required_interface_endpoints() -> None:
    [message] = config_errors("dev", {"network": {"interfaceEndpoints": ["sts", "kms"]}})
    assert "missing: logs, secretsmanager, ecr.api, ecr.dkr" in message


def test_duplicate_interface_endpoints() -> None:
    endpoints = ["sts", "kms", "logs", "secretsmanager", "ecr.api", "ecr.dkr", "kms"]
    assert any("appear once" in e for e in config_errors("dev", {"network": {"interfaceEndpoints": endpoints}}))


def test_log_retention_must_be_a_cloudwatch_value() -> None:
    [message] = config_errors("dev", {"network": {"flowLogRetentionDays": 10}})
    assert "network.flowLogRetentionDays = 10" in message and "14" in message


def test_prod_keeps_every_log_group_a_year() -> None:
    [message] = config_errors("prod", {"cache": {"logRetentionDays": 180}})
    assert "cache.logRetentionDays = 180" in message and "365" in message
    assert config_errors("staging", {"cache": {"logRetentionDays": 180}}) == []
    prod = load_stack("prod")[0]
    assert min(prod.kafka.log_retention_days, prod.cache.log_retention_days, prod.ingest.log_retention_days) >= 365


def test_kms_deletion_window_bounds() -> None:
    [message] = config_errors("dev", {"kms": {"deletionWindowDays": 3}})
    assert "kms.deletionWindowDays = 3" in message


class TestDisasterRecoveryRules:
    def test_prod_needs_warm_standby(self) -> None:
        [message] = config_errors("prod", {"dr": {"strategy": "backup-restore", "routingControls": False}})
        assert "dr.strategy = 'backup-restore'" in message and "warm-standby" in message

    def test_staging_needs_at_least_backup_restore(self) -> None:
        errors = config_errors("staging", {"dr": {"strategy": "none"}})
        assert any("staging needs at least 'backup-restore'" in e for e in errors)

    def test_dr_region_must_differ(self) -> None:
        [message] = config_errors("staging", {"dr": {"region": "us-east-1"}})
        assert "dr.region = 'us-east-1'" in message and "must differ" in message

    def test_dr_region_required(self) -> None:
        assert any("dr.region = None" in e for e in config_errors("staging", {"dr": {"region": None}}))

    def test_peer_cidr_must_not_overlap(self) -> None:
        [message] = config_errors("prod", {"dr": {"peerCidr": "10.30.128.0/17"}})
        assert "overlaps network.cidr 10.30.0.0/16" in message

    @pytest.mark.parametrize(
        ("peer_cidr", "expected"),
        [("garbage", "not a valid CIDR block"), ("10.40.0.0", "no prefix length"), ("fd00::/48", "is IPv6")],
    )
    def test_malformed_peer_cidr_is_a_problem_not_a_crash(self, peer_cidr: str, expected: str) -> None:
        [message] = config_errors("prod", {"dr": {"peerCidr": peer_cidr}})
        assert f"dr.peerCidr = {peer_cidr!r}" in message and expected in message

    def test_malformed_vpc_cidr_is_reported_once_by_the_network_rule(self) -> None:
        [message] = config_errors("prod", {"network": {"cidr": "garbage"}})
        assert "network.cidr = 'garbage'" in message and "not a valid CIDR block" in message

    def test_dr_region_must_be_supported(self) -> None:
        [message] = config_errors("staging", {"dr": {"region": "mars-north-1"}})
        assert "dr.region = 'mars-north-1'" in message and "us-west-2" in message

    def test_peer_cidr_required(self) -> None:
        assert any("dr.peerCidr = None" in e for e in config_errors("staging", {"dr": {"peerCidr": None}}))

    def test_secondary_needs_its_primary_stack(self) -> None:
        assert any("dr.peerStack = None" in e for e in config_errors("prod-dr", {"dr": {"peerStack": None}}))

    def test_active_region_must_be_one_of_the_pair(self) -> None:
        [message] = config_errors("prod", {"dr": {"activeRegion": "eu-west-1"}})
        assert "must be one of the pair: us-east-1, us-west-2" in message

    def test_peer_stack_must_be_fully_qualified(self) -> None:
        [message] = config_errors("prod-dr", {"dr": {"peerStack": "prod"}})
        assert "dr.peerStack = 'prod'" in message and "<org>/<project>/<stack>" in message

    def test_each_pair_names_the_other_stacks_cidr_and_region(self) -> None:
        """dr.peerCidr / dr.region of a stack must match what its peer's stack file really says."""
        for stack in list_stacks():
            config = load_stack(stack)[0]
            peer = config.dr.peer_stack
            if peer is None:
                continue
            peer_config = load_stack(peer.rsplit("/", 1)[-1])[0]
            assert config.dr.peer_cidr == peer_config.network.cidr, stack
            assert config.dr.region == peer_config.region, stack
            assert peer_config.dr.peer_stack is not None and peer_config.dr.peer_stack.endswith("/" + stack)

    def test_secondary_runs_only_with_warm_standby(self) -> None:
        errors = config_errors("prod-dr", {"dr": {"strategy": "backup-restore"}})
        assert any("only 'warm-standby' runs a secondary" in e for e in errors)


def test_config_error_carries_structured_problems() -> None:
    with pytest.raises(ConfigError) as info:
        parse(raw_with("prod", {"network": {"azCount": 2}}), "prod")
    assert info.value.stack_file == "stacks/Pulumi.prod.yaml"
    assert [p.key for p in info.value.problems] == ["network.azCount"]
