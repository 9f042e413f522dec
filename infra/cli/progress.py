"""Progress on stderr while a command works: one line per stage, e.g. ``planning prod... planned in 1.2 s``.

For a person at a terminal only: silent when stderr is not one (CI logs, pipes, tests) and
under ``--json``, so what a command prints for machines and logs never changes. ASCII only, so
no terminal encoding can make a progress line fail a command.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and self.stream.isatty()

    @contextmanager
    def stage(self, doing: str, done: str) -> Iterator[None]:
        """``doing...`` when the stage starts, then ``done in N s`` (or ``stopped``) on the same line."""
        if not self.enabled:
            yield
            return
        self._write(f"{doing}... ")
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            self._write("stopped\n")
            raise
        self._write(f"{done} in {time.perf_counter() - started:.1f} s\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
