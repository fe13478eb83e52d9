"""Start-up checks, and the one plain line each known start-up failure is reported as."""

from __future__ import annotations

import logging
import tempfile

from redis.exceptions import RedisError
from telegram.error import InvalidToken, NetworkError

from bot.config import Settings
from bot.errors import StartupError

log = logging.getLogger(__name__)

EXIT_STARTUP_FAILED = 1
# Where RLIMIT_NOFILE's hard limit is "unlimited", a soft limit this high is accepted everywhere.
UNLIMITED_NOFILE_TARGET = 65536


def check_data_dir(settings: Settings) -> None:
    """DATA_DIR must be a writable directory when the embedded Redis or local storage use it."""
    if settings.redis_url is not None and settings.uses_r2:
        return
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StartupError(f"DATA_DIR {path} is not a writable directory ({reason})") from None


def raise_open_file_limit() -> None:
    """Soft RLIMIT_NOFILE up to the hard limit: every connection and download holds a file."""
    try:
        import resource
    except ImportError:  # Windows has no resource module
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = UNLIMITED_NOFILE_TARGET if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d: %s", soft, exc)


def describe_failure(exc: BaseException, settings: Settings) -> str | None:
    """The line for a start-up failure we know, or None; never the exception's own text,
    which can carry secrets (PTB's InvalidToken quotes the whole token)."""
    if isinstance(exc, StartupError):
        return str(exc)
    if isinstance(exc, InvalidToken):
        return "Telegram refused the bot token (401): check TELEGRAM_BOT_TOKEN"
    if isinstance(exc, NetworkError):
        return "cannot reach the Telegram Bot API: check TELEGRAM_API_BASE_URL"
    if isinstance(exc, RedisError):
        if settings.redis_url is None:
            return "the embedded redis-server does not answer"
        return "cannot reach Redis: check REDIS_URL"
    return None
