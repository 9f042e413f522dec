"""The other stack of a warm-standby pair, as this stack reads it: a StackReference under its own component.

The program creates the standby's view of its primary once and hands it to the tiers that
read it (the cache joins the primary's Global Datastore, DR replicates from the primary);
a failing-back primary's view of its standby is DR's own (``dr.standby_reference``).
"""

from __future__ import annotations

import pulumi

from infra.config.schema import StackConfig


class PeerStack(pulumi.ComponentResource):
    """A peer stack's outputs: a StackReference, under a component of its own."""

    reference: pulumi.StackReference

    def __init__(self, name: str, peer_stack: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:dr:PeerStack", name, None, opts)
        self.reference = pulumi.StackReference(peer_stack, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"peerStack": peer_stack})


def primary_reference(config: StackConfig, opts: pulumi.ResourceOptions) -> pulumi.StackReference | None:
    """The primary's outputs, for a warm-standby secondary; None for every other stack."""
    dr = config.dr
    if dr.role != "secondary" or dr.peer_stack is None:
        return None
    return PeerStack("dr-peer", dr.peer_stack, opts).reference


def global_datastore_id(primary: pulumi.StackReference | None) -> pulumi.Output[str] | None:
    """For the standby's cache: the Global Datastore its primary created (None everywhere else)."""
    return primary.get_output("cacheGlobalDatastoreId") if primary is not None else None
