"""Logging set-up, with a filter that scrubs secrets from every record before it is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from bot.log_context import JobIdFilter

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Query parameters and form fields that carry credentials in URLs we build or receive.
_URL_SECRETS = re.compile(
    r"(?i)((?:token|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token"
    r"|secret|password|api_?key)=)[^&\s\"',;]+"
)
# botocore logs its SigV4 workings at DEBUG as "CanonicalRequest:\n…", "StringToSign:\n…" and
# "Signature:\n<64 hex>": with the key and date beside it, the last one rebuilds a presigned URL.
_SIGV4_DEBUG = re.compile(r"(?s)^((?:CanonicalRequest|StringToSign|Signature):\s*\n).*")
# "Signature: <value>" or "token:\n<value>" anywhere else.
_LABELLED_SECRETS = re.compile(
    r"(?i)\b([\w-]*(?:signature|token|secret|password):[ \t]*\n?[ \t]*)[^\s'\"]+"
)
# Header dumps: 'Authorization': b'AWS4-HMAC-SHA256 … Signature=…', or "Authorization: Bearer …".
_AUTHORIZATION = re.compile(r"(?i)\b((?:proxy-)?authorization['\"]?\s*[:=]\s*b?['\"]?)[^'\"\n]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
# Dict and JSON dumps: {'secret_token': '…'}, {"api_key": "…"}.
_QUOTED_SECRETS = re.compile(
    r"(?i)(['\"][\w-]*(?:token|secret|password|signature|api_?key)['\"]\s*:\s*b?)(['\"])(.*?)\2"
)
# A Telegram bot token, whether it is ours or not: digits, a colon, 30+ URL-safe characters.
_BOT_TOKEN = re.compile(r"\b[0-9]{5,}:[A-Za-z0-9_-]{30,}")
_BOT_TOKEN_IN_PATH = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
MIN_SECRET_CHARS = 6


class RedactSecrets(logging.Filter):
    """Replaces known secret values and credential-looking parts with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len)[::-1]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _SIGV4_DEBUG.sub(r"\1***", text)
        text = _BOT_TOKEN_IN_PATH.sub("/bot***", text)
        text = _BOT_TOKEN.sub("***", text)
        text = _QUOTED_SECRETS.sub(r"\1\2***\2", text)
        text = _AUTHORIZATION.sub(r"\1***", text)
        text = _BEARER.sub(r"\1***", text)
        text = _LABELLED_SECRETS.sub(r"\1***", text)
        return _URL_SECRETS.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and job_id and exc_info when
    there are any. Runs after RedactSecrets, so it only ever sees scrubbed text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        job_id = getattr(record, "job_id", None)
        if job_id is not None:
            line["job_id"] = job_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = record.stack_info
        # ASCII only: a line is valid whatever encoding stderr has.
        return json.dumps(line, ensure_ascii=True)


def setup_logging(level: str, secrets: Iterable[str] = (), log_format: LogFormat = "text") -> None:
    """One stderr handler on the root logger; its filter sees every propagated record, so
    third-party loggers (botocore, PTB, aiohttp, redis) are scrubbed too, at every level."""
    handler = logging.StreamHandler(sys.stderr)
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(JobIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Warnings become log records: scrubbed like the rest, and one JSON line each in json mode.
    logging.captureWarnings(True)
    # httpx logs every Bot API URL, and those carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
