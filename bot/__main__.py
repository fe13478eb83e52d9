"""`python -m bot` / `photobot`: load settings, then serve until stopped."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.config import Settings, load_settings_or_exit
from bot.log_setup import setup_logging
from bot.serve import serve
from bot.startup import EXIT_STARTUP_FAILED, describe_failure, raise_open_file_limit

log = logging.getLogger("bot")


def main() -> None:
    settings = load_settings_or_exit()
    setup_logging(settings.log_level, settings.secret_values(), settings.log_format)
    raise_open_file_limit()
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        try:
            runner.run(serve(settings))
        except Exception as exc:
            _exit_on_startup_failure(exc, settings)


def _exit_on_startup_failure(exc: Exception, settings: Settings) -> None:
    """One plain line and exit code 1; a traceback (scrubbed) only for failures we do not know."""
    reason = describe_failure(exc, settings)
    if reason is None:
        log.error("start-up failed", exc_info=exc)
        reason = f"unexpected {type(exc).__name__} (logged above)"
    print(f"photobot: cannot start: {reason}", file=sys.stderr)
    raise SystemExit(EXIT_STARTUP_FAILED) from None


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (Linux, macOS): faster sockets for callback ingestion."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


if __name__ == "__main__":
    main()
