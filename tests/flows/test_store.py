"""The flow store: one record per user, and its JSON (the keys earlier releases wrote)."""

from __future__ import annotations

import json

from bot import codec
from bot.intake.flows.state import FlowState
from bot.jobs.start.sent_files import SentFile
from bot.media.kinds import MediaKind

CHAT, USER = -1001234567890, 42
PHOTO = SentFile("AgAD-one", 81234, 41, width=1280, height=960)
CLIP = SentFile("BAAD-clip", 900_000, 44, MediaKind.VIDEO, "video/mp4", 6.5, 720, 1280)
# A flow as the release before this one stored it (FlowState.to_json: json.dumps, spaces).
OLD_DANCE = (
    '{"command": "dance", "chat": -1001234567890, "user": 42, "id": "0f3c9a", "files": '
    '[{"file_id": "AgAD-one", "file_size": 81234, "message_id": 41, "width": 1280, '
    '"height": 960}], "texts": {}, "started": 1796660000.5}'
)


def test_a_flow_is_stored_under_the_keys_earlier_releases_wrote() -> None:
    state = FlowState("music", CHAT, USER, id="ab12", texts={"lyrics": ""}, started_at=5.5)
    assert json.loads(codec.dumps(state.with_files((PHOTO, CLIP)))) == {
        "command": "music", "chat": CHAT, "user": USER, "id": "ab12",
        "files": [PHOTO.to_json(), CLIP.to_json()], "texts": {"lyrics": ""}, "started": 5.5,
    }  # fmt: skip
    assert " " not in codec.dumps(state)


def test_a_flow_written_by_the_earlier_release_still_reads() -> None:
    state = codec.loads(FlowState, OLD_DANCE)
    assert state == FlowState("dance", CHAT, USER, id="0f3c9a", files=(PHOTO,),
                              started_at=1796660000.5)  # fmt: skip
    assert state.missing_media() == (MediaKind.VIDEO,)
    full = state.with_files((CLIP,))
    assert codec.loads(FlowState, codec.dumps(full)) == full
