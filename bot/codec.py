"""The one way records cross Redis as JSON: pydantic over our dataclasses, by field alias, with
fields at their defaults left out, and no spaces, so records stay small in Redis's compact
hashes and older records (which simply lack newer fields) still read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(cls: Any) -> TypeAdapter[Any]:
    """Built once per record type: building one is slow, using it is fast."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def dump(value: T, as_type: type[T] | None = None) -> Any:
    """JSON-ready data (dicts, lists, strings, numbers) for a record; `as_type` names what a
    collection holds (`tuple[StoredMedia, ...]`), which its own type does not tell."""
    return _adapter(as_type or type(value)).dump_python(
        value, mode="json", by_alias=True, exclude_defaults=True
    )


def dumps(value: T, as_type: type[T] | None = None) -> str:
    """A record (or a collection of them, see `dump`) as compact JSON text. Non-ASCII is
    escaped as json.dumps does, so records read the same byte for byte as before the codec."""
    adapter = _adapter(as_type or type(value))
    return adapter.dump_json(
        value, by_alias=True, exclude_defaults=True, ensure_ascii=True
    ).decode()


def load(cls: type[T], data: Any) -> T:
    """A record from JSON-ready data; raises pydantic's ValidationError (a ValueError)."""
    result: T = _adapter(cls).validate_python(data)
    return result


def loads(cls: type[T], raw: str | bytes) -> T:
    """A record from JSON text; raises pydantic's ValidationError (a ValueError)."""
    result: T = _adapter(cls).validate_json(raw)
    return result


def text(value: bytes | str) -> str:
    """A Redis reply as text (the app's client decodes replies; a raw client may not)."""
    return value.decode() if isinstance(value, bytes) else value


def texts(raw: Mapping[Any, Any]) -> dict[str, str]:
    """A Redis hash reply as text."""
    return {text(name): text(value) for name, value in raw.items()}
