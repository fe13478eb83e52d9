"""A flow holding a kept result (Edit this, Animate): its stored input counts as the file the
flow waits for, crosses Redis as JSON, and flows stored before it still read."""

from __future__ import annotations

import json

from bot import codec
from bot.intake.flows.state import FlowState
from bot.jobs.record import StoredMedia
from bot.media.kinds import MediaKind
from bot.models.spec import Capability
from tests.intake.flows.test_store import CHAT, OLD_DANCE, USER

KEPT = StoredMedia(MediaKind.IMAGE, "results/ab/photobot-ab-1.png", "image/png", 1234, None, 8, 8)


def test_a_kept_image_is_the_edit_flows_photo_and_it_asks_for_the_instruction() -> None:
    state = FlowState("edit", CHAT, USER, stored=(KEPT,))

    assert state.missing_media() == ()
    assert state.next_text() == "prompt"
    assert state.capability is Capability.EDIT


def test_video_on_a_kept_image_asks_the_image_to_video_model() -> None:
    assert FlowState("video", CHAT, USER, stored=(KEPT,)).capability is Capability.IMAGE_TO_VIDEO
    assert FlowState("video", CHAT, USER).capability is Capability.TEXT_TO_VIDEO


def test_stored_inputs_cross_redis_and_older_flows_read_without_them() -> None:
    state = FlowState("edit", CHAT, USER, id="ab", started_at=1.0, stored=(KEPT,))
    written = codec.dumps(state)

    assert json.loads(written)["stored"] == [codec.dump(KEPT)]
    assert codec.loads(FlowState, written) == state
    assert codec.loads(FlowState, OLD_DANCE).stored == ()
    assert "stored" not in json.loads(codec.dumps(codec.loads(FlowState, OLD_DANCE)))
