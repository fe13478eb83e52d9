"""`python -m bot` / `photobot`: the live bot, or the offline sandbox when nothing is configured
(`photobot sandbox` asks for it; `photobot --live` never falls back to it); `photobot check`
checks a live configuration without starting the bot."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from bot.config import EXIT_CONFIG_ERROR, ConfigError, Settings, load_settings_or_exit
from bot.errors import StartupError
from bot.runtime.log_setup import setup_logging
from bot.runtime.serve import serve
from bot.runtime.startup import EXIT_STARTUP_FAILED, describe_failure, raise_open_file_limit

log = logging.getLogger("bot")
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    if args.command == "sandbox":
        _sandbox(args.port, banner=None)
    elif args.command == "check":
        _check()
    elif not args.live and _nothing_configured():
        _sandbox(
            None,
            banner="nothing configured: running the offline sandbox at {url}"
            " — set TELEGRAM_BOT_TOKEN to go live",
        )
    else:
        _live()


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="photobot",
        description="Photobot, a Telegram AI photo bot. With nothing configured it runs the "
        "offline sandbox (a web chat with the real bot and emulated services).",
    )
    parser.add_argument(
        "--live", action="store_true", help="run the live bot; never fall back to the sandbox"
    )
    commands = parser.add_subparsers(dest="command")
    sandbox = commands.add_parser(
        "sandbox", help="run the offline sandbox on 127.0.0.1, whatever is configured"
    )
    sandbox.add_argument("--port", type=int, help="port of the chat page (default: 8080)")
    commands.add_parser(
        "check",
        help="check the live configuration (token, keys, storage, public URL, Redis) without "
        "spending credits; exit 0 when everything passes",
    )
    args = parser.parse_args(argv)
    if args.live and args.command in ("sandbox", "check"):
        parser.error(f"--live and {args.command} exclude each other")
    if args.command == "sandbox" and args.port is not None and not 1 <= args.port <= 65535:
        parser.error("--port must be from 1 to 65535")
    return args


def _live() -> None:
    from bot.app.factory import priced

    settings = load_settings_or_exit()
    _or_exit(lambda: priced(settings))  # PRICES names models: checked before anything starts
    setup_logging(settings.log_level, settings.secret_values(), settings.log_format)
    _run(serve(settings), settings)


def _check() -> None:
    from bot.app.factory import priced
    from bot.runtime.check import run_checks

    settings = load_settings_or_exit()
    _or_exit(lambda: priced(settings))
    # Library warnings still reach stderr, scrubbed; the check's own lines go to stdout.
    setup_logging("WARNING", settings.secret_values(), settings.log_format)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        code = runner.run(run_checks(settings))
    raise SystemExit(code)


def _sandbox(port: int | None, banner: str | None) -> None:
    from bot.sandbox.choice import sandbox_port
    from bot.sandbox.run import page_url, run_sandbox

    port = port or _or_exit(sandbox_port)
    print(f"photobot: {(banner or 'offline sandbox at {url}').format(url=page_url(port))}")
    sys.stdout.flush()
    setup_logging("INFO")
    _run(run_sandbox(port), None)


def _nothing_configured() -> bool:
    from bot.sandbox.choice import nothing_configured

    return _or_exit(nothing_configured)


def _or_exit(read: Callable[[], T]) -> T:
    try:
        return read()
    except ConfigError as exc:
        print(f"photobot: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None


def _run(serving: Coroutine[Any, Any, None], settings: Settings | None) -> None:
    raise_open_file_limit()
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        try:
            runner.run(serving)
        except Exception as exc:
            _exit_on_startup_failure(exc, settings)


def _exit_on_startup_failure(exc: Exception, settings: Settings | None) -> None:
    """One plain line and exit code 1; a traceback (scrubbed) only for failures we do not know."""
    if settings is not None:
        reason = describe_failure(exc, settings)
    else:
        reason = str(exc) if isinstance(exc, StartupError) else None
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
