"""A rehearsal: the dry run of a drill when there are no AWS credentials.

Without credentials every read would end in "Unable to locate credentials" after botocore's
retries, so the drill is printed from the plan instead: each step, the exact calls an
execution would send (from the stack outputs), its checks, the stop conditions and the
rollback; each read that would have run is listed as skipped. Whether credentials exist is
decided by botocore's own resolver with the providers that call the network (instance
metadata, container endpoint) left out, so the check itself never waits on a timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.credentials import create_credential_resolver
from botocore.exceptions import BotoCoreError

from infra.drills.calls import Call, Clients
from infra.drills.clock import Clock

# Providers of botocore's chain that reach the network just to find out whether they apply.
NETWORK_PROVIDERS = ("iam-role", "container-role")


def has_credentials() -> bool:
    """True when botocore finds credentials in the environment, the shared files or a configured profile."""
    session = botocore.session.get_session()
    try:
        resolver = create_credential_resolver(session)
        for name in NETWORK_PROVIDERS:
            resolver.remove(name)
        return resolver.load_credentials() is not None
    except BotoCoreError:  # e.g. AWS_PROFILE names no profile: no usable credentials either
        return False


class ReadSkippedError(RuntimeError):
    """A step's preparation reached its first AWS read; the rehearsal reads nothing."""

    def __init__(self, call: Call) -> None:
        super().__init__(call.render())
        self.call = call


@dataclass(frozen=True)
class _Events:
    def register_first(self, *_: Any, **__: Any) -> None:
        """Nothing is sent, so there is nothing to watch."""


@dataclass(frozen=True)
class _Meta:
    events: _Events = _Events()


class _OfflineClient:
    """Stands where a boto3 client would: every operation raises ReadSkippedError naming the call."""

    meta = _Meta()

    def __init__(self, service: str, region: str, endpoint_url: str | None = None) -> None:
        self._service, self._region, self._endpoint = service, region, endpoint_url

    def __getattr__(self, method: str) -> Any:
        def skipped(**params: Any) -> Any:
            raise ReadSkippedError(Call(self._service, method, self._region, params, endpoint_url=self._endpoint))

        return skipped


def offline_clients(clock: Clock) -> Clients:
    """Clients that never create a boto3 client: the rehearsal's."""
    return Clients(_OfflineClient, clock)
