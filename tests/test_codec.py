"""bot.codec: aliases, defaults left out, compact text, and a round trip."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated

import pytest
from pydantic import Field

from bot import codec
from bot.media.kinds import MediaKind


@dataclass(frozen=True, slots=True)
class Sample:
    key: str
    kind: MediaKind = MediaKind.IMAGE
    mime_type: Annotated[str, Field(alias="mime")] = ""
    seconds: float | None = None
    tags: dict[str, str] = field(default_factory=dict)


def test_defaults_are_left_out_and_aliases_used() -> None:
    assert codec.dump(Sample("a")) == {"key": "a"}
    full = Sample("b", MediaKind.VIDEO, "video/mp4", 4.5, {"x": "y"})
    assert codec.dump(full) == {
        "key": "b", "kind": "video", "mime": "video/mp4", "seconds": 4.5, "tags": {"x": "y"},
    }  # fmt: skip
    assert codec.dumps(full) == (
        '{"key":"b","kind":"video","mime":"video/mp4","seconds":4.5,"tags":{"x":"y"}}'
    )


def test_round_trip_and_refusal() -> None:
    full = Sample("b", MediaKind.VIDEO, "video/mp4", 4.5, {"x": "y"})
    assert codec.loads(Sample, codec.dumps(full)) == full
    assert codec.load(Sample, codec.dump(full)) == full
    with pytest.raises(ValueError):
        codec.loads(Sample, '{"kind": "image"}')  # no key


def test_collections_are_named_by_their_type() -> None:
    items = (Sample("a"), Sample("b", MediaKind.VIDEO))
    text = codec.dumps(items, tuple[Sample, ...])
    assert text == '[{"key":"a"},{"key":"b","kind":"video"}]'
    assert codec.dump(items, tuple[Sample, ...]) == [{"key": "a"}, {"key": "b", "kind": "video"}]
    assert codec.loads(tuple[Sample, ...], text) == items
    assert codec.load(tuple[Sample, ...], [{"key": "a"}]) == (Sample("a"),)


def test_non_ascii_is_escaped_as_json_dumps_does() -> None:
    texts = {"lyrics": 'Ёлка 🎄\n"two"'}
    text = codec.dumps(texts, dict[str, str])
    assert text == json.dumps(texts, separators=(",", ":"))
    assert text.isascii() and codec.loads(dict[str, str], text) == texts
