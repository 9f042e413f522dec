"""The pure answers every tier needs about the disaster-recovery pair (which region is active,
the peer's stack name), so neither a tier nor a rule re-derives them from raw config."""

from __future__ import annotations

from infra.config.schema import StackConfig


def active_region(config: StackConfig) -> str:
    """The region serving traffic: dr.activeRegion, else the primary's region (this one, or the peer's)."""
    dr = config.dr
    if dr.active_region is not None:
        return dr.active_region
    if dr.role == "secondary" and dr.region is not None:
        return dr.region
    return config.region


def serves_traffic(config: StackConfig) -> bool:
    """Whether this stack is the active side: the EMR job runs and its DNS record is PRIMARY only then."""
    return active_region(config) == config.region


def fails_back_from_standby(config: StackConfig) -> bool:
    """A warm-standby primary that is not the active region: it receives the standby's stream (failback)."""
    dr = config.dr
    return dr.strategy == "warm-standby" and dr.role == "primary" and not serves_traffic(config)


def reads_peer_outputs(config: StackConfig) -> bool:
    """Whether the program reads the peer stack's outputs (StackReference): a standby always, a
    primary only while it fails back."""
    return config.dr.peer_stack is not None and (config.dr.role == "secondary" or fails_back_from_standby(config))


def peer_stack_name(config: StackConfig) -> str | None:
    """The peer's short stack name (``prod-dr`` from ``organization/streaming-platform/prod-dr``)."""
    peer = config.dr.peer_stack
    return peer.rsplit("/", 1)[-1] if peer else None
