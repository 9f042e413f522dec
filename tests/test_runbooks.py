"""Runbooks: every stack renders from the offline plan with StrictUndefined, names only exported outputs,
and the committed runbooks/<stack>/ are exactly a fresh render."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import jinja2
import pytest

from infra import paths
from infra.cli import runbooks as runbooks_cli
from infra.offline.record import StackPlan
from infra.runbooks import RUNBOOKS, mock_values, output_references, render_stack, view_of
from tests.conftest import STACKS

# Template syntax, Python's None, or an empty value in inline code (`` `[]` ``, `` `` ``).
LEFTOVERS = re.compile(r"\{\{|\{%|\bNone\b|Undefined|`\[\]`|`\{\}`|(?<!`)``(?!`)")


def _render(plans: dict[str, StackPlan], stack: str) -> dict[str, str]:
    """As `blueprint runbooks STACK` does: the mock values of the stack and of its DR peer are kept out."""
    peer = {"prod": "prod-dr", "prod-dr": "prod"}.get(stack)
    invented = set().union(*(mock_values(plans[s]) for s in (stack, peer) if s))
    views = {s: view_of(plans[s], invented=invented) for s in (stack, peer) if s}
    return render_stack(views[stack], views["prod-dr"] if stack == "prod" else None)


@pytest.fixture(scope="module")
def rendered(plans: dict[str, StackPlan]) -> dict[str, dict[str, str]]:
    """Every stack's runbooks rendered once for the module (a render compiles every template)."""
    return {stack: _render(plans, stack) for stack in STACKS}


def _render_real(plans: dict[str, StackPlan], stack: str) -> dict[str, str]:
    """Rendered as from `pulumi stack output --json` files (the plan's outputs standing in for real ones)."""
    peer = "prod-dr" if stack == "prod" else None
    views = [view_of(plans[s], plans[s].outputs, "2026-12-02") for s in (stack, peer) if s]
    return render_stack(views[0], views[1] if peer else None)


@pytest.mark.parametrize("stack", STACKS)
def test_every_runbook_renders_with_nothing_left_unfilled(rendered: dict[str, dict[str, str]], stack: str) -> None:
    files = rendered[stack]
    for name, text in files.items():
        assert not LEFTOVERS.findall(text), f"{stack}/{name}: {LEFTOVERS.findall(text)}"
        assert f"stack `{stack}`" in text


@pytest.mark.parametrize("stack", STACKS)
def test_the_committed_runbooks_are_a_fresh_render(rendered: dict[str, dict[str, str]], stack: str) -> None:
    files = rendered[stack]
    committed = {p.name: p.read_text() for p in (paths.RUNBOOKS / stack).glob("*.md")}
    assert committed == files, f"run `blueprint runbooks {stack}` and commit runbooks/{stack}/"


def test_each_stack_gets_the_runbooks_that_apply_to_it(rendered: dict[str, dict[str, str]]) -> None:
    names = {stack: set(files) for stack, files in rendered.items()}
    everywhere = {"README.md", "az-loss.md", "msk-broker.md", "cache-primary-failure.md", "spark-restart.md"}
    assert names["dev"] == everywhere
    assert names["staging"] == everywhere | {"restore.md"}
    assert names["prod"] == everywhere | {"restore.md", "region-failover.md", "failback.md"}
    assert names["prod-dr"] == everywhere | {"restore.md"}
    dev_index = rendered["dev"]["README.md"]
    assert (
        "Region failover to the warm standby: DR strategy is 'none': there is no standby region to fail over to."
        in dev_index
    )
    assert "see runbooks/prod/" in rendered["prod-dr"]["README.md"]


def test_templates_name_only_outputs_the_program_exports(
    plans: dict[str, StackPlan], rendered: dict[str, dict[str, str]]
) -> None:
    """outputs.X must exist in every stack the runbook renders for; inside an `"X" in outputs` guard, in at least one."""
    rendered_for = {r.name: [s for s in STACKS if r.filename in rendered[s]] for r in RUNBOOKS}
    rendered_for["README"] = list(STACKS)
    references = output_references()
    assert set(references) == {"_macros", "README", *(r.name for r in RUNBOOKS)}
    for template, refs in references.items():
        for stack in rendered_for.get(template, []):
            peer = "prod-dr" if stack == "prod" else None
            missing = {n for n in refs["self"] if n not in plans[stack].outputs}
            missing |= {f"peer.{n}" for n in refs["peer"] if peer is None or n not in plans[peer].outputs}
            assert not missing, (
                f"{template} rendered for {stack} reads outputs that stack does not export: {sorted(missing)}"
            )
        for name in refs["optional"]:
            assert any(name in plans[s].outputs for s in STACKS), f"{template}: optional output {name} exists nowhere"
    assert "fisExperimentTemplateIds" in references["az-loss"]["optional"]
    assert {"kafkaReplicatorArn", "emrJobStep"} <= references["region-failover"]["peer"]


def test_a_missing_output_fails_the_render_instead_of_leaving_a_blank(plans: dict[str, StackPlan]) -> None:
    outputs = {k: v for k, v in plans["staging"].outputs.items() if k != "kafkaClusterArn"}
    with pytest.raises(jinja2.UndefinedError, match="kafkaClusterArn"):
        render_stack(view_of(plans["staging"], outputs))


def test_rendered_from_real_outputs_commands_carry_them_and_say_when_they_were_taken(
    plans: dict[str, StackPlan],
) -> None:
    prod, dr = plans["prod"].outputs, plans["prod-dr"].outputs
    files = _render_real(plans, "prod")
    assert all("Rendered from real outputs" in text and "taken 2026-12-02" in text for text in files.values())
    assert not any("Resolve identifiers" in text or "${PROD" in text for text in files.values())
    assert (
        f"aws kafka reboot-broker --region us-east-1 --cluster-arn {prod['kafkaClusterArn']} --broker-ids <BROKER_ID>"
        in files["msk-broker.md"]
    )
    failover = files["region-failover.md"]
    assert (
        f"aws elasticache failover-global-replication-group --region us-west-2 --global-replication-group-id {dr['cacheGlobalDatastoreId']}"
        in failover
    )
    assert f"--primary-region us-west-2 --primary-replication-group-id {dr['cacheReplicationGroupId']}" in failover
    assert (
        f"aws emr add-steps --region us-west-2 --cluster-id {dr['emrClusterId']} --steps file://dr-job-step.json"
        in failover
    )
    assert "pulumi config set --path dr.activeRegion us-west-2 --stack prod-dr" in failover
    controls = dr["drRoutingControlArns"]
    assert f"RoutingControlArn={controls['us-east-1']},RoutingControlState=Off" in failover
    assert f"RoutingControlArn={controls['us-west-2']},RoutingControlState=On" in failover
    assert "aws route53 " not in failover
    restore = files["restore.md"]
    assert (
        f"--iam-role-arn {prod['backupRoleArn']}" in restore
        and f"--backup-vault-name {prod['backupVaultName']}" in restore
    )
    # A cluster-mode scratch group needs automatic failover, and the user group keeps it closed.
    assert f"--automatic-failover-enabled --user-group-ids {prod['cacheUserGroupId']}" in restore
    assert "sp-prod-kafka-disk-used-broker-1" in files["msk-broker.md"]
    az_loss = files["az-loss.md"]
    assert prod["fisExperimentTemplateIds"]
    assert all(template in az_loss for template in prod["fisExperimentTemplateIds"].values())


def test_the_rewound_job_step_json_is_valid_and_bumps_the_generation(plans: dict[str, StackPlan]) -> None:
    text = _render_real(plans, "prod")["spark-restart.md"]
    blocks = re.findall(r"cat > job-step\.json <<JSON\n(.*?)\nJSON", text, re.S)
    restart, reprocess = (json.loads(block) for block in blocks)
    assert restart[0]["Args"] == plans["prod"].outputs["emrJobStep"]["args"]
    args = reprocess[0]["Args"]
    assert (
        args[args.index("--generation") + 1] == "1" and args[args.index("--starting-timestamp") + 1] == "${REWIND_MS}"
    )


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    runbooks_cli.register(parser.add_subparsers())
    args = parser.parse_args(["runbooks", *argv])
    code: int = args.func(args)
    return code


def test_cli_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("dev", "--out", str(tmp_path)) == 0
    assert (tmp_path / "dev" / "az-loss.md").exists()
    assert _cli("dev", "--out", str(tmp_path), "--check") == 0
    (tmp_path / "dev" / "az-loss.md").write_text("edited by hand\n")
    assert _cli("dev", "--out", str(tmp_path), "--check") == 1
    assert "az-loss.md: differs from a fresh render" in capsys.readouterr().err


def test_cli_rejects_bad_outputs(
    tmp_path: Path, plans: dict[str, StackPlan], capsys: pytest.CaptureFixture[str]
) -> None:
    staging = tmp_path / "staging.json"
    staging.write_text(json.dumps(plans["staging"].outputs))
    assert _cli("dev", "--outputs", str(staging)) == 2
    assert "holds the outputs of stack 'staging', not 'dev'" in capsys.readouterr().err
    assert _cli("prod", "--outputs", str(staging)) == 2
    assert "--peer-outputs FILE (prod-dr)" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({k: v for k, v in plans["staging"].outputs.items() if k != "emrJobStep"}))
    assert _cli("staging", "--outputs", str(broken), "--out", str(tmp_path)) == 2
    assert "emrJobStep" in capsys.readouterr().err
    assert _cli("nope") == 2


def _committed() -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": p.read_text() for p in sorted(paths.RUNBOOKS.glob("*/*.md"))}


def test_no_committed_runbook_shows_an_identifier_only_the_mock_invented(plans: dict[str, StackPlan]) -> None:
    invented = set().union(*(mock_values(plan) for plan in plans.values()))
    # The set is derived from the plans, not hard-coded: it must hold what the old runbooks printed.
    assert {plans["prod"].outputs["accountId"], plans["prod-dr"].outputs["emrClusterId"]} <= invented
    assert set(plans["prod"].outputs["healthCheckIds"].values()) <= invented
    assert plans["prod"].outputs["cacheGlobalDatastoreId"] in invented
    committed = _committed()
    assert len(committed) >= len(STACKS) * 5
    for name, text in committed.items():
        shown = sorted(value for value in invented if value in text)
        assert not shown, f"{name} shows mock-only values: {shown[:5]}"


_ASSIGNED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=", re.M)


def test_every_shell_variable_a_runbook_uses_is_set_in_it() -> None:
    for name, text in _committed().items():
        used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)) - {"NAME"}
        assert used <= set(_ASSIGNED.findall(text)), f"{name}: {sorted(used - set(_ASSIGNED.findall(text)))} never set"


def test_a_failover_runbook_reads_identifiers_only_from_the_standby_stack() -> None:
    """With the primary region gone, so may be what only the primary's stack knows."""
    text = _committed()["prod/region-failover.md"]
    assert "pulumi stack output --json --stack prod-dr" in text
    assert "--stack prod)" not in text and "${PROD_" not in text.replace("${PROD_DR_", "")


def test_every_json_document_to_paste_parses() -> None:
    documents = 0
    for name, text in _committed().items():
        for block in re.findall(r"```json\n(.*?)```|<<'?JSON'?\n(.*?)\nJSON\n", text, re.S):
            document = block[0] or block[1]
            try:
                json.loads(document)
            except json.JSONDecodeError as error:
                raise AssertionError(f"{name}: {error}\n{document}") from None
            documents += 1
    assert documents >= 4


def test_a_standbys_sizing_steps_change_its_primarys_file(plans: dict[str, StackPlan]) -> None:
    """The standby inherits workload and Kafka sizing from its primary (infra/config/parity.py)."""
    standby = _render(plans, "prod-dr")["msk-broker.md"]
    assert "`workload.retentionHours` in `stacks/Pulumi.prod.yaml`" in standby
    assert "`pulumi up -s prod`, then `pulumi up -s prod-dr`" in standby
    assert "stacks/Pulumi.prod-dr.yaml" not in standby
    primary = _render(plans, "prod")["msk-broker.md"]
    assert "in `stacks/Pulumi.prod.yaml` and run `pulumi up -s prod`:" in primary
