"""The one exit-code table of every `blueprint` sub-command, so a script or CI job can tell why a run stopped.

Each code means the same thing in every command; a command's ``--help`` lists the codes it
can return (``epilog``). The README's CLI section shows this table.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Done: the plan, review or files were produced, or what was checked is current."""
    FAILED = 1
    """The command ran and the answer is no: an invalid stack config, a check that found stale or
    missing files, no cluster that fits, a drill, download or AWS call that failed."""
    USAGE = 2
    """The command cannot run as called: bad or conflicting arguments (argparse's own code), an
    unknown stack, an input file that cannot be read or belongs to another stack, no credentials."""
    BLOCKED = 3
    """A gate stopped it: mandatory policy violations (plan), a risky change (diff --fail-on-risk)."""
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT, as a shell reports it)."""
    PIPE_CLOSED = 141
    """The reader of stdout went away (`blueprint plan prod | head`): 128 + SIGPIPE, nothing printed."""


MEANING = {
    ExitCode.OK: "ok",
    ExitCode.FAILED: "failed (invalid stack config, or a check or operation failed)",
    ExitCode.USAGE: "bad arguments or input (unknown stack, unreadable file)",
    ExitCode.BLOCKED: "blocked by policy or risk",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.PIPE_CLOSED: "output pipe closed",
}


def epilog(**specific: str) -> str:
    """A sub-command's exit-code line: 0 and 2 always, plus the codes it names (by ExitCode name) in its words."""
    meanings = {ExitCode.OK: MEANING[ExitCode.OK], ExitCode.USAGE: MEANING[ExitCode.USAGE]}
    meanings.update({ExitCode[name]: text for name, text in specific.items()})
    return "exit codes: " + ", ".join(f"{int(code)} {text}" for code, text in sorted(meanings.items()))


def table() -> str:
    """Every code with its meaning, for `blueprint --help`."""
    return "exit codes (every command): " + ", ".join(f"{int(code)} {text}" for code, text in MEANING.items())
