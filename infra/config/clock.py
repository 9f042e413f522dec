"""The one date the project reads: MSK versions end their support on a date, a price refresh is dated.

Production reads the system date; ``BLUEPRINT_TODAY`` (YYYY-MM-DD) pins it, so the test suite
gives the same answer on every day and a reviewer can ask how a stack fares on a later one.
"""

from __future__ import annotations

import os
from datetime import date

TODAY_ENV = "BLUEPRINT_TODAY"


def today() -> date:
    """The pinned date when ``BLUEPRINT_TODAY`` is set, else the system's."""
    pinned = os.environ.get(TODAY_ENV)
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"{TODAY_ENV}={pinned!r} is not a date (YYYY-MM-DD)") from None
