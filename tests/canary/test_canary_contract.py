"""The program and the drills name the canary's metrics the way the function publishes them."""

from __future__ import annotations

from rpo_canary import records

from infra.components import canary


def test_the_program_and_the_function_agree_on_namespace_and_stores() -> None:
    # The role may put metrics only into canary.NAMESPACE, the alarms and drills read it per Store:
    # a rename on either side alone would leave every canary metric denied or unread.
    assert canary.NAMESPACE == records.NAMESPACE
    assert canary.STORES == records.STORES
