"""Files the chat page sends: read with limits, and sorted into what a Telegram client would send
(a photo, a video, or a file)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from bot.media.kinds import MediaKind
from bot.media.sniff import SNIFF_BYTES, sniff

MAX_UPLOAD_BYTES = 30 * 1024 * 1024  # over Telegram's 20 MB bot download limit, to show it
MAX_FILES = 10  # Telegram's album limit
MAX_CAPTION_CHARS = 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_VIDEO_SECONDS = 24 * 3600
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_CHUNK_BYTES = 256 * 1024
_UNSAFE_NAME = re.compile(r"[^\w.\- ]")
_TOO_BIG = f"uploads are limited to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB at once in the sandbox"


class UploadRefused(Exception):
    """An upload the page should show as refused; the message says why, for the user."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status  # 413 when too big


@dataclass(frozen=True, slots=True)
class Upload:
    """One file as the page's user sent it."""

    name: str
    data: bytes
    kind: str  # "photo", "video" or "document"
    mime_type: str
    extension: str
    duration_s: int = 0


@dataclass(slots=True)
class UploadForm:
    user: str = ""
    caption: str = ""
    durations: list[float] = field(default_factory=list)
    files: list[Upload] = field(default_factory=list)


async def read_upload(request: web.Request) -> UploadForm:
    """The form's fields and files, refusing more than MAX_FILES files or MAX_UPLOAD_BYTES in
    all before reading further."""
    form, total = UploadForm(), 0
    raw_files: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            raise UploadRefused("unexpected nested form")
        if part.filename is None:
            value = await _read_part(part, MAX_FIELD_BYTES, "a form field is too long", status=413)
            _set_field(form, part.name or "", value)
            continue
        if len(raw_files) == MAX_FILES:
            raise UploadRefused(f"at most {MAX_FILES} files at once")
        data = await _read_part(part, MAX_UPLOAD_BYTES - total, _TOO_BIG, status=413)
        total += len(data)
        raw_files.append((part.filename, data))
    if len(form.caption) > MAX_CAPTION_CHARS:
        raise UploadRefused(f"a caption takes at most {MAX_CAPTION_CHARS} characters")
    durations = form.durations + [0.0] * len(raw_files)
    form.files = [classify(name, data, durations[n]) for n, (name, data) in enumerate(raw_files)]
    return form


def classify(name: str, data: bytes, page_duration_s: float) -> Upload:
    """A photo (JPEG, PNG, WebP), a video (its length from the file, else from the page), or
    any other file as a document, as Telegram's apps send them."""
    if not data:
        raise UploadRefused(f"{safe_name(name)} is empty")
    info = sniff(data[:SNIFF_BYTES])
    clean = safe_name(name)
    if info is not None and info.kind is MediaKind.IMAGE and info.mime_type in PHOTO_TYPES:
        return Upload(clean, data, "photo", info.mime_type, info.extension)
    if info is not None and info.kind is MediaKind.VIDEO:
        seconds = info.duration_s or page_duration_s
        duration = round(min(max(seconds, 0), MAX_VIDEO_SECONDS))
        return Upload(clean, data, "video", info.mime_type, info.extension, duration)
    extension = clean.rsplit(".", 1)[1].lower()[:8] if "." in clean else "bin"
    mime = info.mime_type if info is not None else "application/octet-stream"
    return Upload(clean, data, "document", mime, extension or "bin")


def safe_name(name: str) -> str:
    """A file name without folders or odd characters, at most 64 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("_", base).strip()[:64] or "file"


def _set_field(form: UploadForm, name: str, value: bytes) -> None:
    text = value.decode("utf-8", errors="replace")
    if name == "user":
        form.user = text
    elif name == "caption":
        form.caption = text.strip()
    elif name == "durations":
        try:
            parsed = json.loads(text)
        except ValueError:
            raise UploadRefused("durations must be a JSON list of numbers") from None
        if not isinstance(parsed, list):
            raise UploadRefused("durations must be a JSON list of numbers")
        form.durations = [float(v) if isinstance(v, int | float) else 0.0 for v in parsed]


async def _read_part(part: BodyPartReader, limit: int, too_big: str, *, status: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(_CHUNK_BYTES):
        data += chunk
        if len(data) > limit:
            raise UploadRefused(too_big, status)
    return bytes(data)
