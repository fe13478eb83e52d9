"""Cloudflare R2 through boto3; every boto3 call runs in a worker thread."""

from __future__ import annotations

import asyncio
import contextvars
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.manager import TransferManager

from bot.errors import StorageError

T = TypeVar("T")

# R2 speaks SigV4 only, has one region ("auto"), and rejects the default CRC checksums that
# newer botocore adds to every upload, so checksums are sent only when an operation needs them.
R2_CLIENT_CONFIG = Config(
    region_name="auto",
    signature_version="s3v4",
    s3={"addressing_style": "path"},
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
    retries={"max_attempts": 3, "mode": "standard"},
    max_pool_connections=20,
)
# Files go up in parts of 8 MiB, two at a time: a big result costs about 16 MiB of memory on its
# way to the bucket, however big it is (boto3's default would hold ten parts).
FILE_UPLOAD_CONFIG = TransferConfig(max_concurrency=2)
DELETE_BATCH = 1000  # S3's most keys in one DeleteObjects call


class _ContextThreadPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in the context they were submitted from."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def make_s3_client(endpoint_url: str, access_key_id: str, secret_access_key: str) -> Any:
    """One client shared by the whole process (boto3 clients are thread-safe)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=R2_CLIENT_CONFIG,
    )


class R2Storage:
    """Objects in one bucket; providers read them through presigned GET URLs."""

    name = "r2"
    public_urls = True  # presigned GETs work for anyone holding one

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"upload failed: {type(exc).__name__}") from exc

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        try:
            await asyncio.to_thread(self._upload_file, key, path, content_type)
        except (BotoCoreError, ClientError, Boto3Error, OSError) as exc:
            raise StorageError(f"upload failed: {type(exc).__name__}") from exc

    def _upload_file(self, key: str, path: Path, content_type: str) -> None:
        """boto3's upload_file, its part uploads in threads that keep the caller's context, so
        their log lines name the job too."""
        with TransferManager(
            self._client, FILE_UPLOAD_CONFIG, executor_cls=_ContextThreadPool
        ) as manager:
            future = manager.upload(
                str(path), self._bucket, key, extra_args={"ContentType": content_type}
            )
            future.result()

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._get, key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"download failed: {type(exc).__name__}") from exc

    def _get(self, key: str) -> bytes:
        """One blocking call in the worker thread: the object and its whole body."""
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    async def open(self, key: str) -> BinaryIO:
        """The object copied to an anonymous temporary file (R2's inputs normally go out as
        presigned URLs; this is for a caller that must send the bytes itself)."""
        try:
            return await asyncio.to_thread(self._spool, key)
        except (BotoCoreError, ClientError, OSError) as exc:
            raise StorageError(f"download failed: {type(exc).__name__}") from exc

    def _spool(self, key: str) -> BinaryIO:
        file = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
        try:
            self._client.download_fileobj(self._bucket, key, file)
            file.seek(0)
        except BaseException:
            file.close()
            raise
        return file

    async def exists(self, key: str) -> bool:
        """One HEAD request, in a worker thread: a 404 is False, any other failure an error."""
        try:
            await asyncio.to_thread(self._client.head_object, Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"lookup failed: {type(exc).__name__}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"lookup failed: {type(exc).__name__}") from exc
        return True

    async def signed_url(self, key: str, ttl_s: int) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=ttl_s
        )
        return url

    async def delete(self, keys: Sequence[str]) -> None:
        try:
            for start in range(0, len(keys), DELETE_BATCH):
                batch = keys[start : start + DELETE_BATCH]
                await asyncio.to_thread(self._delete, batch)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"delete failed: {type(exc).__name__}") from exc

    def _delete(self, keys: Sequence[str]) -> None:
        """One DeleteObjects call; a key that is not there counts as deleted."""
        answer = self._client.delete_objects(
            Bucket=self._bucket,
            Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
        )
        if answer.get("Errors"):
            codes = sorted({error.get("Code", "?") for error in answer["Errors"]})
            raise StorageError(f"delete failed for {len(answer['Errors'])} keys: {codes}")

    async def check(self) -> None:
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self._bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"bucket unreachable: {type(exc).__name__}") from exc
