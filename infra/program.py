"""The Pulumi program: builds one stack of the platform from its validated config.

Shared pieces (provider with default tags, naming, the stack key, the network and its
tier security groups) are created first as the ``Foundation``. Each tier is one
ComponentResource in its own module; its ``build`` gets the foundation and the tiers it
reads, and returns a ``Built``: the component, its stack outputs and its alarm specs.
Observability creates the alarm topic before the tiers and, once all of them returned,
every alarm and the dashboard out of their specs. Nothing changes a tier after creation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components import cache, canary, chaos, dr, dr_peer, edge, ingest, kafka, observability, spark, storage
from infra.components.foundation import Foundation
from infra.components.kms import StackKey, StackKeyArgs
from infra.components.network import Network, NetworkArgs
from infra.config.schema import StackConfig
from infra.naming import Naming, stack_tags


def build(config: StackConfig) -> dict[str, Any]:
    """Create every resource of the stack; return the stack outputs."""
    foundation = build_foundation(config)
    built_storage = storage.build(foundation)
    built_kafka = kafka.build(foundation, built_storage.component)
    primary = dr_peer.primary_reference(config, foundation.opts())
    built_cache = cache.build(foundation, dr_peer.global_datastore_id(primary))
    built_edge = edge.build(foundation, built_storage.component)
    built_ingest = ingest.build(foundation, built_kafka.component, built_edge.component)
    built_spark = spark.build(foundation, built_storage.component, built_kafka.component, built_cache.component)
    alarm_topic = observability.build(foundation)
    built_dr = dr.build(
        foundation,
        built_storage.component,
        built_kafka.component,
        built_cache.component,
        built_edge.component,
        alarm_topic.topic.arn,
        primary,
    )
    built_canary = canary.build(foundation, built_kafka.component, built_cache.component, built_storage.component)
    tiers = (built_storage, built_kafka, built_cache, built_edge, built_ingest, built_spark, built_dr, built_canary)
    published = alarm_topic.publish([spec for tier in tiers for spec in tier.alarms])
    built_chaos = chaos.build(foundation, built_cache.component, published.alarms)
    return merge_outputs([foundation.outputs(), *(tier.outputs for tier in (*tiers, built_chaos)), published.outputs])


def merge_outputs(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The stack outputs of every tier; a key published by two tiers is a wiring error, not a silent overwrite."""
    outputs: dict[str, Any] = {}
    for part in parts:
        twice = sorted(outputs.keys() & part.keys())
        if twice:
            raise ValueError(f"stack outputs published twice: {', '.join(twice)}")
        outputs.update(part)
    return outputs


def build_foundation(config: StackConfig) -> Foundation:
    """Provider, naming, account, key and network: what every tier stands on."""
    naming = Naming(config.stack, config.region)
    provider = aws.Provider(
        f"aws-{config.region}", region=config.region, default_tags=aws.ProviderDefaultTagsArgs(tags=stack_tags(config))
    )
    invoke = pulumi.InvokeOptions(provider=provider)
    account_id = aws.get_caller_identity(opts=invoke).account_id
    zones = aws.get_availability_zones(state="available", opts=invoke).names
    component_opts = pulumi.ResourceOptions(providers=[provider])
    key = StackKey(
        "stack-key",
        StackKeyArgs(naming=naming, account_id=account_id, deletion_window_days=config.kms.deletion_window_days),
        component_opts,
    )
    network = Network(
        "network",
        NetworkArgs(
            config=config.network,
            naming=naming,
            availability_zones=list(zones),
            kms_key_arn=key.key.arn,
            canary=config.canary.enabled,
        ),
        component_opts,
    )
    return Foundation(config=config, naming=naming, provider=provider, account_id=account_id, key=key, network=network)
