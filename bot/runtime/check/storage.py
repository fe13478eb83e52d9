"""Storage end to end: R2 put, the object fetched back through a presigned GET, delete; or the
local media folder written, read and cleaned."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from bot.config import Settings
from bot.runtime.check.base import Line, fail, ok
from bot.storage.r2 import R2_CLIENT_CONFIG

CHECK_PREFIX = "photobot-check/"
PRESIGNED_TTL_S = 60
FETCH_TIMEOUT_S = 8.0
# One try per call, short waits: the check has its own deadline and says what failed.
CHECK_CLIENT_CONFIG = R2_CLIENT_CONFIG.merge(
    Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=8)
)
R2_ALL = "R2_ENDPOINT_URL, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY and R2_BUCKET"
# S3 error codes R2 answers, and the setting each one points at.
_R2_CODES = {
    "InvalidAccessKeyId": "R2_ACCESS_KEY_ID: R2 does not know this access key id",
    "SignatureDoesNotMatch": "R2_SECRET_ACCESS_KEY: R2 refused the signature "
    "(SignatureDoesNotMatch): the secret does not belong to R2_ACCESS_KEY_ID",
    "NoSuchBucket": "R2_BUCKET: there is no bucket {bucket} at R2_ENDPOINT_URL",
    "AccessDenied": "R2_ACCESS_KEY_ID: this key may not write to bucket {bucket}: give its "
    "API token Object Read & Write on it",
}


async def check_storage(settings: Settings, http: aiohttp.ClientSession) -> list[Line]:
    if settings.uses_r2:
        return [await _check_r2(settings, http)]
    return [await asyncio.to_thread(check_local, settings.data_dir.resolve() / "media")]


async def _check_r2(settings: Settings, http: aiohttp.ClientSession) -> Line:
    assert settings.r2_access_key_id and settings.r2_secret_access_key and settings.r2_bucket
    bucket = settings.r2_bucket
    client = await asyncio.to_thread(
        boto3.client,
        "s3",
        endpoint_url=str(settings.r2_endpoint_url),
        aws_access_key_id=settings.r2_access_key_id.get_secret_value(),
        aws_secret_access_key=settings.r2_secret_access_key.get_secret_value(),
        config=CHECK_CLIENT_CONFIG,
    )
    key, data = f"{CHECK_PREFIX}{secrets.token_hex(8)}.txt", secrets.token_bytes(64)
    try:
        await asyncio.to_thread(client.put_object, Bucket=bucket, Key=key, Body=data)
        try:
            problem = await _fetch_presigned(client, http, bucket, key, data)
        finally:
            await asyncio.to_thread(client.delete_object, Bucket=bucket, Key=key)
    except ClientError as exc:
        return fail(r2_refusal(exc, bucket))
    except EndpointConnectionError:
        return fail("R2_ENDPOINT_URL: cannot connect to it: check the URL and the network")
    except BotoCoreError as exc:
        return fail(f"R2: {type(exc).__name__}: check {R2_ALL}")
    if problem is not None:
        return fail(problem)
    return ok(f"R2_BUCKET: {bucket}: put, presigned GET and delete all work")


def r2_refusal(exc: ClientError, bucket: str) -> str:
    """The setting an S3 error code points at."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    known = _R2_CODES.get(code)
    if known is not None:
        return known.format(bucket=bucket)
    return f"R2 refused the request ({code or 'no code'}): check {R2_ALL}"


async def _fetch_presigned(
    client: Any, http: aiohttp.ClientSession, bucket: str, key: str, data: bytes
) -> str | None:
    """What is wrong with the object read back through a presigned GET (as providers read
    inputs), or None; the signed URL itself is never printed."""
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=PRESIGNED_TTL_S
    )
    try:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        async with http.get(url, timeout=timeout) as response:
            status, body = response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"R2_ENDPOINT_URL: the presigned GET failed ({type(exc).__name__})"
    if status != 200 or body != data:
        return (
            f"R2_ENDPOINT_URL: the object was stored, but its presigned GET answered "
            f"HTTP {status}: use the bucket's S3 API endpoint"
        )
    return None


def check_local(root: Path) -> Line:
    """The local media folder takes a file, gives it back and lets it go."""
    probe = root / f"photobot-check-{secrets.token_hex(8)}"
    data = secrets.token_bytes(64)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(data)
        try:
            same = probe.read_bytes() == data
        finally:
            probe.unlink(missing_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return fail(
            f"DATA_DIR: cannot write to {root} ({reason}): make it writable or set DATA_DIR"
        )
    if not same:
        return fail(f"DATA_DIR: {root} gave back other bytes than were written")
    return ok(f"DATA_DIR: local storage in {root} is writable")
