"""bot.codec: aliases, defaults left out, compact text, and a round trip."""

from __future__ import annotations

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
