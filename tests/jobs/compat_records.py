"""Job hashes and JSON values captured from the code before bot/codec.py (kept as literals)."""

# Captured by running that code against a real redis-server: JobStore.create, set_task,
# record_outcome, claim, mark_result, retry_later, keep_input, advance and switch_model on
# representative jobs, then HGETALL; the cool-down as Failover.trip wrote it; SentFile.to_json
# as json.dumps wrote it (pending photos, flows, albums). Never regenerate these from new code:
# they are what a record in Redis during an upgrade looks like.

HASHES: dict[str, dict[str, str]] = {
    "photo": {
        "inputs": (
            '[{"kind":"image","key":"inputs/photo1-1.jpg","mime":"image/jpeg","size":48213,'
            '"width":1280,"height":960}]'
        ),
        "status_msg": "12",
        "id": "photo1",
        "reply_to": "11",
        "task_id": "task_photo_1",
        "user_id": "501",
        "state": "succeeded",
        "chat_id": "501",
        "model": "nano-banana-pro",
        "provider": "kie",
        "prompt": "make it pop",
        "created_at": "1765432100.25",
        "params": '{"aspect_ratio":"auto","output_format":"png"}',
        "outcome": "succeeded",
        "results": '[{"url":"https://tempfile.example/r/photo1.png"}]',
        "fail_kind": "",
        "error_code": "",
        "error_message": "",
        "completed_at": "1796663992.5805378",
        "lease_owner": "replica-a",
        "lease_until": "1796664007.5812542",
        "result:0": "sent",
    },
    "album": {
        "inputs": (
            '[{"kind":"image","key":"inputs/album1-1.png","mime":"image/png","size":100001,'
            '"width":800,"height":600},{"kind":"image","key":"inputs/album1-2.png",'
            '"mime":"image/png","size":100002,"width":800,"height":600},{"kind":"image",'
            '"key":"inputs/album1-3.png","mime":"image/png","size":100003,"width":800,'
            '"height":600}]'
        ),
        "status_msg": "20",
        "id": "album1",
        "reply_to": "",
        "task_id": "task_album_1",
        "user_id": "502",
        "state": "succeeded",
        "model": "nano-banana-pro",
        "provider": "kie",
        "prompt": "same style",
        "created_at": "1765432100.25",
        "chat_id": "502",
        "outcome": "succeeded",
        "results": (
            '[{"url":"https://tempfile.example/r/a1.png","kind":"image"},'
            '{"url":"https://tempfile.example/r/a2.png","kind":"image"}]'
        ),
        "fail_kind": "",
        "error_code": "",
        "error_message": "",
        "completed_at": "1796663992.589284",
        "attempts": "1",
        "retry_at": "1796663991.5943532",
    },
    "video": {
        "inputs": (
            '[{"kind":"image","key":"inputs/video1-1.jpg","mime":"image/jpeg","size":52000,'
            '"width":720,"height":1280},{"kind":"video","key":"inputs/video1-2.mp4",'
            '"mime":"video/mp4","size":3500000,"seconds":7.4,"width":720,"height":1280}]'
        ),
        "status_msg": "",
        "id": "video1",
        "reply_to": "",
        "task_id": "task_video_1",
        "user_id": "503",
        "state": "succeeded",
        "chat_id": "503",
        "model": "kling/motion-control",
        "provider": "kie",
        "prompt": "dance like this",
        "created_at": "1765432100.25",
        "params": '{"mode":"720p"}',
        "outcome": "succeeded",
        "results": '[{"url":"https://tempfile.example/r/v.mp4","kind":"video","duration":7.5}]',
        "fail_kind": "",
        "error_code": "",
        "error_message": "",
        "completed_at": "1796663992.5953395",
    },
    "suno": {
        "status_msg": "",
        "id": "suno1",
        "reply_to": "",
        "task_id": "task_suno_1",
        "user_id": "-100504",
        "state": "succeeded",
        "params": '{"suno_model":"V4_5"}',
        "chat_id": "504",
        "model": "suno/generate",
        "provider": "kie",
        "prompt": "a song",
        "created_at": "1765432100.25",
        "texts": (
            '{"lyrics":"\\u041f\\u0440\\u0438\\u0432\\u0435\\u0442,'
            " \\u043c\\u0438\\u0440 \\u2014 \\u00ab\\u0451\\u043b\\u043a\\u0430\\u00bb"
            ' \\ud83c\\udf84\\nline \\"two\\"",'
            '"style":"synth pop","title":"\\u0401\\u043b\\u043a\\u0430"}'
        ),
        "outcome": "succeeded",
        "results": (
            '[{"url":"https://cdn.example/s/1.mp3","kind":"audio",'
            '"title":"\\u0401\\u043b\\u043a\\u0430","duration":187.32,'
            '"cover":"https://cdn.example/s/1.jpeg"},{"url":"https://cdn.example/s/2.mp3",'
            '"kind":"audio","title":"\\u0401\\u043b\\u043a\\u0430 (v2)","duration":201.0,'
            '"cover":"https://cdn.example/s/2.jpeg"}]'
        ),
        "fail_kind": "",
        "error_code": "",
        "error_message": "",
        "completed_at": "1796663992.5960662",
    },
    "chain": {
        "steps": "2",
        "status_msg": "",
        "step": "0",
        "id": "chain1",
        "reply_to": "",
        "task_id": "task_chain_1",
        "user_id": "505",
        "state": "succeeded",
        "chat_id": "505",
        "chain": "sketch",
        "model": "nano-banana-pro",
        "provider": "kie",
        "prompt": "a cat",
        "created_at": "1765432100.25",
        "params": '{"aspect_ratio":"16:9"}',
        "outcome": "succeeded",
        "results": '[{"url":"https://tempfile.example/r/sketch.png"}]',
        "fail_kind": "",
        "error_code": "",
        "error_message": "",
        "completed_at": "1796663992.5967605",
        "lease_owner": "replica-a",
        "lease_until": "1796664007.596962",
        "result:0": "sent",
        "next_input:0": (
            '{"kind":"image","key":"inputs/chain1-step2-1.png","mime":"image/png","size":734211,'
            '"width":1024,"height":576}'
        ),
    },
    "failed": {
        "inputs": (
            '[{"kind":"image","key":"inputs/photo1-1.jpg","mime":"image/jpeg","size":48213,'
            '"width":1280,"height":960}]'
        ),
        "status_msg": "",
        "id": "failed1",
        "reply_to": "",
        "task_id": "task_failed_1",
        "user_id": "506",
        "state": "failed",
        "model": "nano-banana-pro",
        "provider": "novita",
        "prompt": "bad",
        "created_at": "1765432100.25",
        "chat_id": "506",
        "outcome": "failed",
        "results": "[]",
        "fail_kind": "rejected",
        "error_code": "422",
        "error_message": "content policy: nope",
        "completed_at": "1796663992.5982196",
        "crashes": "1",
        "retry_at": "1796663991.5986094",
    },
    "chain_step2": {
        "steps": "2",
        "status_msg": "",
        "step": "1",
        "id": "chain1",
        "reply_to": "",
        "user_id": "505",
        "state": "submitted",
        "chat_id": "505",
        "chain": "sketch",
        "model": "kling/v2-1",
        "provider": "kie",
        "prompt": "a cat",
        "created_at": "1765432100.25",
        "params": '{"aspect_ratio":"16:9"}',
        "step_task:0": "task_chain_1",
        "inputs": (
            '[{"kind":"image","key":"inputs/chain1-step2-1.png","mime":"image/png","size":734211,'
            '"width":1024,"height":576}]'
        ),
        "step_started_at": "1796663992.599041",
    },
    "switched": {
        "status_msg": "",
        "id": "switch1",
        "reply_to": "",
        "task_id": "",
        "user_id": "507",
        "state": "submitted",
        "chat_id": "507",
        "model": "seedream",
        "provider": "novita",
        "prompt": "x",
        "created_at": "1765432100.25",
        "params": '{"size":"2048*2048","watermark":"false"}',
    },
}

COOLDOWN = '{"until": 1765432400.25, "why": "no_credits"}'

SENT_FILES: dict[str, str] = {
    "photo": (
        '{"file_id": "AgACphoto", "file_size": 123456, "message_id": 31, "width": 1280,'
        ' "height": 960}'
    ),
    "document": '{"file_id": "BQACdoc", "file_size": null, "message_id": 32}',
    "video": (
        '{"file_id": "BAACvideo", "file_size": 4500000, "message_id": 33, "kind": "video",'
        ' "mime_type": "video/mp4", "seconds": 6.0, "width": 720, "height": 1280}'
    ),
    "video_zero": (
        '{"file_id": "BAACzero", "file_size": 90000, "message_id": 34, "kind": "video",'
        ' "mime_type": "video/mp4"}'
    ),
}

ALBUM_ITEM = (
    '{"photo": {"file_id": "AgACphoto", "file_size": 123456, "message_id": 31, "width": 1280,'
    ' "height": 960}, "caption": "cap", "addressed": true}'
)

# Written by the first release (444e15f): result URLs only, no typed results, inputs or params;
# json.dumps with its default separators.
LEGACY_HASH = {
    "id": "legacy1",
    "chat_id": "508",
    "user_id": "508",
    "prompt": "old times",
    "model": "nano-banana-edit",
    "provider": "kie",
    "state": "succeeded",
    "reply_to": "",
    "status_msg": "41",
    "task_id": "task_legacy_1",
    "created_at": "1765432100.25",
    "outcome": "succeeded",
    "result_urls": '["https://tempfile.example/r/old1.png", "https://tempfile.example/r/old2.png"]',
    "fail_kind": "",
    "error_code": "",
    "error_message": "",
    "completed_at": "1765432160.5",
}

# A pending photo from before files had kinds (PhotoRef, written with dataclasses.asdict).
LEGACY_SENT_FILE = '{"file_id": "AgACold", "file_size": 2048, "message_id": 5}'
