"""What every check gives back (plain lines: ok, warn, FAIL or skipped) and how one runs: under
its own deadline, and never with a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """How a line reads; only FAIL makes `photobot check` exit 1."""

    OK = "ok"
    WARN = "warn"  # works, but worth acting on (a low balance, a memory setting)
    FAIL = "FAIL"
    SKIP = "--"  # not checked: the configuration does not use it


@dataclass(frozen=True)
class Line:
    status: Status
    text: str

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def render(self) -> str:
        return f"{self.status.value:<5} {self.text}"


def ok(text: str) -> Line:
    return Line(Status.OK, text)


def warn(text: str) -> Line:
    return Line(Status.WARN, text)


def fail(text: str) -> Line:
    return Line(Status.FAIL, text)


def skip(text: str) -> Line:
    return Line(Status.SKIP, text)


Check = Callable[[], Awaitable[list[Line]]]


async def guarded(what: str, deadline_s: float, check: Check, *, hint: str = "") -> list[Line]:
    """The check's lines; a missed deadline or an exception nobody expected is one FAIL line
    naming `what` (the setting or part), never the exception's text, which can hold secrets."""
    try:
        async with asyncio.timeout(deadline_s):
            return await check()
    except TimeoutError:
        return [fail(f"{what}: no answer within {deadline_s:g} s{hint}")]
    except Exception as exc:
        return [fail(f"{what}: could not check: {type(exc).__name__}")]
