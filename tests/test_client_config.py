"""Client settings rendered from stack outputs, and the `blueprint client-config` command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import jinja2
import pytest

from infra.cli import client_config
from infra.clientconfig import (
    CLIENT_PROPERTIES,
    SPARK_READER_OPTIONS,
    OutputsError,
    load_outputs_file,
    reader_options,
    render,
    settings_from_outputs,
)
from infra.naming import Naming
from infra.offline.record import StackPlan
from infra.planning.emr import group_id_prefix as spark_group_id_prefix
from infra.planning.kafka import parse_properties, template_environment

IAM_SETTINGS = {
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "AWS_MSK_IAM",
    "sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
    "sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
}


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="blueprint")
    client_config.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["client-config", *argv])
    code: int = args.func(args)
    return code


@pytest.fixture
def outputs_file(plans: dict[str, StackPlan], tmp_path: Path) -> Path:
    """What `pulumi stack output --json` would write for prod (here: the planned outputs)."""
    path = tmp_path / "prod-outputs.json"
    path.write_text(json.dumps(plans["prod"].outputs))
    return path


def test_rendered_files_carry_the_stack_brokers_and_iam_auth(stack_plan: StackPlan) -> None:
    outputs = stack_plan.outputs
    files = render(settings_from_outputs(outputs, "the offline plan"))
    properties = parse_properties(files[CLIENT_PROPERTIES])
    assert properties["bootstrap.servers"] == outputs["kafkaBootstrapBrokersIam"]
    assert IAM_SETTINGS.items() <= properties.items()
    assert properties["acks"] == "all" and properties["enable.idempotence"] == "true"
    options = json.loads(files[SPARK_READER_OPTIONS])
    assert options["kafka.bootstrap.servers"] == outputs["kafkaBootstrapBrokersIam"]
    assert {f"kafka.{key}": value for key, value in IAM_SETTINGS.items()}.items() <= options.items()
    data_topics = [name for name, spec in outputs["kafkaTopics"].items() if not spec["deadLetter"]]
    assert options["subscribe"] == ",".join(data_topics)
    assert "events-dlq" not in options["subscribe"].split(",")
    assert options["groupIdPrefix"] == spark_group_id_prefix(Naming(stack_plan.stack, stack_plan.region))
    assert options["failOnDataLoss"] == "true"
    assert all(isinstance(value, str) for value in options.values())


def test_reader_options_are_the_rendered_json(plans: dict[str, StackPlan]) -> None:
    settings = settings_from_outputs(plans["staging"].outputs, "test")
    assert reader_options(settings) == json.loads(render(settings)[SPARK_READER_OPTIONS])


def test_templates_refuse_missing_values() -> None:
    with pytest.raises(jinja2.UndefinedError):
        template_environment().get_template("kafka/client.properties.j2").render(stack="prod")


def _outputs(plans: dict[str, StackPlan], **changes: Any) -> dict[str, Any]:
    outputs = dict(plans["prod"].outputs)
    outputs.update(changes)
    return {key: value for key, value in outputs.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kafkaBootstrapBrokersIam": None}, "stack outputs lack kafkaBootstrapBrokersIam"),
        ({"kafkaTopics": None, "region": None}, "stack outputs lack region, kafkaTopics"),
        ({"kafkaBootstrapBrokersIam": "[secret]"}, "masked as [secret]"),
        ({"kafkaBootstrapBrokersIam": "b-1.example.com:9094"}, "not on the SASL/IAM port 9098"),
        ({"kafkaBootstrapBrokersIam": "b-1.example.com"}, "is not host:port"),
        ({"kafkaTopics": ["events"]}, "kafkaTopics must map topic names"),
        ({"kafkaTopics": {"events-dlq": {"deadLetter": True}}}, "only dead-letter topics"),
    ],
)
def test_unusable_outputs_are_refused_with_the_reason(
    plans: dict[str, StackPlan], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(OutputsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        settings_from_outputs(_outputs(plans, **changes), "test")


def test_outputs_file_errors(tmp_path: Path) -> None:
    broken, listed = tmp_path / "broken.json", tmp_path / "list.json"
    broken.write_text("{not json")
    listed.write_text("[1, 2]")
    with pytest.raises(OutputsError, match="is not JSON"):
        load_outputs_file(broken)
    with pytest.raises(OutputsError, match="holds a JSON list"):
        load_outputs_file(listed)
    with pytest.raises(OutputsError, match="cannot read"):
        load_outputs_file(tmp_path / "missing.json")


def test_cli_writes_both_files_from_an_outputs_file(
    outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rendered"
    assert run_cli("prod", "--outputs", str(outputs_file), "--out", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == [CLIENT_PROPERTIES, SPARK_READER_OPTIONS]
    assert capsys.readouterr().out.split() == [str(out / CLIENT_PROPERTIES), str(out / SPARK_READER_OPTIONS)]
    brokers = json.loads(outputs_file.read_text())["kafkaBootstrapBrokersIam"]
    assert parse_properties((out / CLIENT_PROPERTIES).read_text())["bootstrap.servers"] == brokers
    assert f"stack outputs file {outputs_file}" in (out / CLIENT_PROPERTIES).read_text()


def test_cli_defaults_to_out_slash_stack(outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli("prod", "--outputs", str(outputs_file)) == 0
    assert (tmp_path / "out" / "prod" / SPARK_READER_OPTIONS).is_file()


def test_cli_without_outputs_uses_the_offline_plan(
    plans: dict[str, StackPlan], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("dev", "--out", str(tmp_path)) == 0
    assert "placeholders" in capsys.readouterr().err
    options = json.loads((tmp_path / SPARK_READER_OPTIONS).read_text())
    assert options["kafka.bootstrap.servers"] == plans["dev"].outputs["kafkaBootstrapBrokersIam"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["staging", "--outputs", "{outputs}"], "belong to stack 'prod', not 'staging'"),
        (["prod", "--outputs", "{missing}"], "cannot read"),
        (["prod", "--outputs", "{outputs}", "--out", "{blocked}"], "cannot write the files"),
    ],
)
def test_cli_bad_input_exits_2_with_a_message(
    argv: list[str], message: str, outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    paths = {"outputs": str(outputs_file), "missing": str(tmp_path / "missing.json"), "blocked": str(blocked / "sub")}
    assert run_cli(*(arg.format(**paths) for arg in argv)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("blueprint client-config: ")
