"""Kie's file upload API (its own host): input files Photobot cannot offer at a public URL go
there, streamed from storage, and Kie fetches them back from the URL it answers with."""

from __future__ import annotations

import itertools
import logging
import posixpath
from typing import Any

import aiohttp

from bot.errors import FailureKind, ProviderError
from bot.loops import doubling, retrying
from bot.providers.kie.errors import PROVIDER
from bot.storage import Storage

log = logging.getLogger(__name__)

STREAM_UPLOAD = "/api/file-stream-upload"
# Files land under this folder of Kie's temporary store (deleted by Kie after a few days).
UPLOAD_PATH = "photobot/inputs"
# Both attempts end well within the two minutes after which the reconciler takes a job still
# without a task id for lost (SUBMIT_GRACE_S): a 20 MB dance video needs about 3 Mbit/s up.
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=55, sock_connect=10, sock_read=30)
ATTEMPTS = 2


class KieUploader:
    """Sends stored files to Kie's file host; a bad answer is a ProviderError the submit
    treats as any failed submit (the job fails, its held credits go back)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        backoff_s: float = 0.5,
    ) -> None:
        self._session = session
        self._url = base_url.rstrip("/") + STREAM_UPLOAD
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._backoff_s = backoff_s

    async def upload(self, storage: Storage, key: str, mime_type: str) -> str:
        """The stored file, sent as `file` with its storage name (unique: Kie overwrites a
        file uploaded under the same name); returns the URL Kie answers with."""
        name = posixpath.basename(key)
        url = await retrying(
            lambda: self._once(storage, key, name, mime_type),
            retry_if=lambda exc: isinstance(exc, ProviderError) and exc.retryable,
            delays=itertools.islice(doubling(self._backoff_s), ATTEMPTS - 1),
            what=f"{PROVIDER} file upload",
        )
        # The URL is not logged: it is the only key to the user's photo.
        log.info("%s: uploaded to %s's file host", name, PROVIDER)
        return url

    async def _once(self, storage: Storage, key: str, name: str, mime_type: str) -> str:
        # Opened afresh per attempt: aiohttp closes a file once it has sent it, in pieces
        # read in a worker thread, so the file is never held whole.
        file = await storage.open(key)
        form = aiohttp.FormData()
        form.add_field("file", file, filename=name, content_type=mime_type)
        form.add_field("uploadPath", UPLOAD_PATH)
        form.add_field("fileName", name)
        try:
            async with self._session.post(
                self._url, data=form, headers=self._headers, timeout=UPLOAD_TIMEOUT
            ) as response:
                status, body = response.status, await _json_or_none(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise upload_error(0, f"network error: {type(exc).__name__}") from exc
        finally:
            file.close()
        return _download_url(status, body)


def _download_url(status: int, body: Any) -> str:
    """`data.downloadUrl` (or `data.fileUrl`, which some of Kie's pages show) of a good answer."""
    if not isinstance(body, dict):
        raise upload_error(status if status >= 400 else 502, "the answer is not JSON")
    code = body.get("code", status)
    if status >= 400 or code != 200 or body.get("success") is False:
        code = code if isinstance(code, int) and code != 200 else status
        raise upload_error(code, str(body.get("msg") or body.get("message") or ""))
    data = body.get("data")
    for field in ("downloadUrl", "fileUrl"):
        url = data.get(field) if isinstance(data, dict) else None
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url
    raise upload_error(502, "the upload answer has no file URL")


def upload_error(code: int, message: str) -> ProviderError:
    """A refused key is the operator's to fix (admins are alerted); anything else (host down,
    5xx, an answer without a URL) leaves the user a "try again", and may pass."""
    if code in (401, 403):
        return ProviderError(PROVIDER, code, f"file upload: {message}", FailureKind.MISCONFIGURED)
    retryable = code == 0 or code == 429 or code >= 500
    return ProviderError(
        PROVIDER, code, f"file upload: {message}", FailureKind.BUSY, retryable=retryable
    )


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None
