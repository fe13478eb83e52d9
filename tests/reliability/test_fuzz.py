"""Property-based fuzzing of the Kie callback parser and of the live callback endpoint.

The parser must answer every input with a well-formed TaskOutcome or a CallbackParseError.
The endpoint, fed well over a thousand random and mutated bodies with the job's real token and
with forged ones, must never answer 5xx and never change the job, send to Telegram or create
another Kie task.

Inputs that once crashed the parser (deep nesting, over-long digit strings, lone surrogates)
have their own regression tests at the end.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import string
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.constants import CALLBACK_MAX_BODY_BYTES
from bot.providers.base import CallbackParseError, TaskOutcome, TaskStatus
from bot.providers.kie.parsing import FAILURE_WORDS, SUCCESS_WORDS, parse_kie_callback
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.figures import record
from tests.harness import BotHarness, StartBot, eventually

FUZZ = settings(
    max_examples=1500,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow],
)
SEED = 20250611
VALID_TOKEN_BODIES = 2000
FORGED_TOKEN_BODIES = 500
RESULT_URL = "https://tempfile.aiquickdraw.com/r/result.png"

KEYS = [
    "taskId", "task_id", "id", "data", "state", "status", "callbackType", "code", "msg",
    "message", "error", "errorMessage", "resultJson", "output", "image_urls", "video_urls",
    "info", "resultUrls", "failCode", "failMsg", "audio_url", "image_url", "audioUrl",
    "imageUrl", "response", "sunoData", "param", "model", "costTime", "completeTime",
]  # fmt: skip
WORDS = [
    *sorted(SUCCESS_WORDS | FAILURE_WORDS),
    "SUCCESS", " success ", "Fail", "pending", "waiting", "queuing", "generating", "first",
    "text", "", " ", "succes", "successful",
]  # fmt: skip
URLS = [
    RESULT_URL, "http://cdn.example.test/a.png", "https://", "http://", "ftp://x/y.png",
    "javascript:alert(1)", " https://x.test/a.png", "HTTPS://X.TEST/A.PNG", "//x.test/a.png",
    "file:///etc/passwd", "https://x.test/\u0000", "data:image/png;base64,AAAA",
]  # fmt: skip
CODES = [200, "200", " 200 ", 200.0, 0, 400, 401, 402, 422, 429, 455, 500, 501, "501", "٢٠٠", True]
# Printable ASCII plus awkward code points (lone surrogates have their own test below).
ALPHABET = string.printable + "éß字😀\u0000\u200b\u202e\ufeff٢\U0010ffff"


# -- the property ------------------------------------------------------------------------------


def check_parse(raw: bytes | str) -> TaskOutcome | None:
    """Parse `raw`; a CallbackParseError is fine, anything else must be a well-formed outcome."""
    try:
        outcome = parse_kie_callback(raw)
    except CallbackParseError:
        return None
    assert isinstance(outcome, TaskOutcome)
    assert isinstance(outcome.task_id, str)
    assert outcome.task_id and outcome.task_id == outcome.task_id.strip()
    assert len(outcome.task_id) <= 200
    assert isinstance(outcome.status, TaskStatus)
    assert isinstance(outcome.result_urls, tuple)
    for url in outcome.result_urls:
        assert isinstance(url, str) and url.startswith(("https://", "http://")), url
    if outcome.status is TaskStatus.SUCCEEDED:
        assert outcome.result_urls, "success without a result file"
    else:
        assert outcome.result_urls == ()
    assert isinstance(outcome.error_code, str) and isinstance(outcome.error_message, str)
    return outcome


# -- real shapes and a mutator shared by hypothesis and the endpoint run --------------------


def envelopes(task_id: Any, url: str = RESULT_URL) -> list[dict[str, Any]]:
    """Kie callback / recordInfo bodies in the shapes Photobot must understand."""
    record_data = {
        "taskId": task_id,
        "model": "nano-banana-pro",
        "state": "success",
        "param": json.dumps({"model": "nano-banana-pro", "callBackUrl": "https://x.test/cb"}),
        "resultJson": json.dumps({"resultUrls": [url]}),
        "failCode": "",
        "failMsg": "",
        "costTime": 15,
        "completeTime": 1765178640000,
        "createTime": 1765178625768,
    }
    failed = {**record_data, "state": "fail", "resultJson": "", "failCode": "500"}
    return [
        {"code": 200, "msg": "Playground task completed successfully.", "data": record_data},
        {"code": 501, "msg": "Playground task failed.", "data": {**failed, "failMsg": "boom"}},
        {"code": 200, "msg": "ok", "data": {**record_data, "state": "generating"}},
        {"taskId": task_id, "status": "completed", "output": {"image_urls": [url]}},
        {
            "code": 200,
            "msg": "All generated successfully.",
            "data": {
                "callbackType": "complete",
                "task_id": task_id,
                "data": [{"id": "t1", "audio_url": url, "image_url": url, "title": "x"}],
            },
        },
        {
            "code": 200,
            "data": {"taskId": task_id, "state": "success", "resultJson": {"resultUrls": [url]}},
        },
        {
            "code": 200,
            "data": {"taskId": task_id, "status": "SUCCESS", "info": {"resultUrls": [url]}},
        },
        {
            "code": 200,
            "data": {
                "taskId": task_id,
                "status": "SUCCESS",
                "response": {"sunoData": [{"audioUrl": url, "imageUrl": url}]},
            },
        },
        {"code": 200, "data": {"taskId": task_id, "image_urls": [url], "resultUrls": url}},
        {"id": task_id, "code": 422, "msg": "content policy"},
    ]  # fmt: skip


BASE_ENVELOPES = envelopes("task_nano-banana-pro_1765178625768")


def random_text(rng: random.Random, longest: int = 12) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def random_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randint(-(2**70), 2**70)
    if kind == 3:
        return rng.choice(CODES)
    if kind == 4:
        return rng.choice([0.0, -1.5, 1e308, 3.14])
    if kind == 5:
        return rng.choice(WORDS)
    if kind == 6:
        return rng.choice(URLS) if rng.random() < 0.7 else "https://" + random_text(rng)
    if kind == 7:
        return "".join(rng.choice(string.digits + " ") for _ in range(rng.randint(0, 20)))
    return random_text(rng)


def random_json(rng: random.Random, depth: int = 3) -> Any:
    roll = rng.random()
    if depth == 0 or roll < 0.45:
        return random_scalar(rng)
    if roll < 0.65:
        return [random_json(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return {random_key(rng): random_json(rng, depth - 1) for _ in range(rng.randint(0, 5))}


def random_key(rng: random.Random) -> str:
    return rng.choice(KEYS) if rng.random() < 0.75 else random_text(rng, 8)


Path = tuple[str | int, ...]


def paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def get_at(node: Any, path: Path) -> Any:
    for step in path:
        node = node[step]
    return node


def set_at(root: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    get_at(root, path[:-1])[path[-1]] = value
    return root


def retype(value: Any, rng: random.Random) -> Any:
    """The same content, another JSON type."""
    if isinstance(value, bool) or value is None:
        return rng.choice(["true", 1, "", [], {}])
    if isinstance(value, int | float):
        return rng.choice([str(value), [value], {"value": value}])
    if isinstance(value, str):
        number = int(value) if value.isascii() and value.isdigit() else 0
        return rng.choice([[value], {"url": value}, number])
    if isinstance(value, list):
        return rng.choice([dict(enumerate(map(str, value))), json.dumps(value), len(value)])
    return rng.choice([list(value.values()), json.dumps(value), list(value)])


def mutate_once(body: Any, rng: random.Random) -> Any:
    path = rng.choice(list(paths(body)))
    value = get_at(body, path)
    op = rng.randrange(8)
    if op == 0 and path:  # delete
        del get_at(body, path[:-1])[path[-1]]
        return body
    if op == 1:
        return set_at(body, path, random_json(rng))
    if op == 2:
        return set_at(body, path, retype(value, rng))
    if op == 3:  # stringify, as Kie does with resultJson
        return set_at(body, path, json.dumps(value))
    if op == 4 and isinstance(value, dict):
        value[random_key(rng)] = random_json(rng)
        return body
    if op == 5:
        return set_at(body, path, rng.choice(["", [], {}, 0, None]))
    if op == 6 and isinstance(value, str):
        return set_at(body, path, rng.choice([value.upper(), f"  {value}\n", value[::-1]]))
    if op == 7 and isinstance(value, list) and value:
        return set_at(body, path, value * rng.randint(2, 3))
    return set_at(body, path, random_scalar(rng))


def mutate(body: Any, rng: random.Random) -> Any:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 4)):
        body = mutate_once(body, rng)
    return body


def mutate_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 6)):
        if not data:
            break
        op, at = rng.randrange(4), rng.randrange(len(data))
        if op == 0:
            data[at] = rng.randrange(256)
        elif op == 1:
            del data[at]
        elif op == 2:
            data.insert(at, rng.choice(b'{}[]",:\\0 \xff\x00'))
        else:
            del data[at:]
    return bytes(data)


def serialise(body: Any, rng: random.Random) -> bytes:
    text = json.dumps(body, ensure_ascii=rng.random() < 0.5)
    encoding = rng.choice(["utf-8"] * 6 + ["utf-8-sig", "utf-16", "utf-32"])
    return text.encode(encoding)


# -- 1. the parser ---------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(WORDS)
    | st.sampled_from(URLS)
    | st.sampled_from(CODES)
    | st.builds(lambda s: "https://" + s, st.text(max_size=20))
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=12,
)
json_bodies = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=8)


@FUZZ
@given(
    st.binary(max_size=600)
    | st.builds(
        bytes.__add__,
        st.sampled_from([b'{"taskId":', b'{"code":200,"data":{"taskId":"t","state":', b"[", b'"']),
        st.binary(max_size=200),
    )
)
def test_parser_on_arbitrary_bytes(raw: bytes) -> None:
    check_parse(raw)


@FUZZ
@given(json_bodies | json_values, st.booleans())
def test_parser_on_json_values(body: Any, as_text: bool) -> None:
    text = json.dumps(body)
    outcome = check_parse(text if as_text else text.encode())
    if not isinstance(body, dict):
        assert outcome is None  # only an object can name a task


task_ids = (
    st.just("task_nano-banana-pro_1765178625768")
    | st.text(max_size=40)
    | st.text(alphabet="ab ", min_size=195, max_size=215)  # around the 200-character cap
    | st.integers()
    | st.sampled_from(["", " ", "\t\n", "a" * 200, "a" * 201, f" {'a' * 200} "])
)


@FUZZ
@given(st.integers(0, len(BASE_ENVELOPES) - 1), task_ids, st.randoms(use_true_random=False))
def test_parser_on_mutated_real_payloads(shape: int, task_id: Any, rng: random.Random) -> None:
    envelope = envelopes(task_id)[shape]
    check_parse(json.dumps(mutate(envelope, rng)).encode())


@pytest.mark.parametrize("envelope", BASE_ENVELOPES, ids=lambda e: json.dumps(e)[:40])
def test_unmutated_envelopes_parse_to_their_task(envelope: dict[str, Any]) -> None:
    # The mutation corpus starts from bodies that do parse: otherwise the fuzz proves little.
    outcome = check_parse(json.dumps(envelope))
    assert outcome is not None
    assert outcome.task_id == "task_nano-banana-pro_1765178625768"


# -- 2. the live endpoint ------------------------------------------------------------------


def expected_answer(body: bytes, task_id: str) -> int | None:
    """What the endpoint must answer with the valid token; None if it may complete the job (or
    send a song's first track)."""
    if len(body) > CALLBACK_MAX_BODY_BYTES:
        return 413
    outcome = check_parse(body)
    if outcome is None:
        return 400
    if not outcome.final and not outcome.early:
        return 200
    if outcome.task_id == task_id:
        return None  # a legitimate final outcome (or early track) for this task: left out
    return 403  # a final outcome (or an early track) naming another task


def fuzz_bodies(rng: random.Random, task_id: str) -> Iterator[bytes]:
    """An endless mix of random bytes, random JSON and mutated real payloads."""
    yield from (
        b"", b"null", b"[]", b"{}", b'"x"', b"0", b"\xef\xbb\xbf{}", b" " * 100,
        b" " * (CALLBACK_MAX_BODY_BYTES + 1),
        rng.randbytes(CALLBACK_MAX_BODY_BYTES + 1000),
        json.dumps({"taskId": "x", "pad": "a" * CALLBACK_MAX_BODY_BYTES}).encode(),
    )  # fmt: skip
    other_ids: list[Callable[[], Any]] = [
        lambda: "task_" + random_text(rng, 20),
        lambda: rng.randint(0, 10**12),
        lambda: task_id + "x",
        lambda: " " + task_id[:-1],
        lambda: task_id.upper(),
        lambda: "a" * 201,
        lambda: task_id,
    ]
    while True:
        roll = rng.random()
        if roll < 0.2:
            yield rng.randbytes(rng.choice([1, 3, 10, 100, 1000]))
        elif roll < 0.35:
            base = rng.choice(envelopes(rng.choice(other_ids)()))
            yield mutate_bytes(json.dumps(base).encode(), rng)
        elif roll < 0.5:
            top = random_json(rng) if rng.random() < 0.2 else {
                random_key(rng): random_json(rng) for _ in range(rng.randint(0, 6))
            }  # fmt: skip
            yield serialise(top, rng)
        else:
            base = rng.choice(envelopes(rng.choice(other_ids)()))
            yield serialise(mutate(base, rng), rng)


def forged_queries(rng: random.Random, job_id: str, token: str) -> Iterator[tuple[str, int]]:
    """Queries with a wrong or missing token, and the status each must get."""
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    fixed = [
        ({"job": job_id}, 401),
        ({"token": token}, 401),
        ({"job": "", "token": token}, 401),
        ({"job": job_id, "token": ""}, 401),
        ({"job": job_id, "token": "0" * 32}, 403),
        ({"job": job_id, "token": flipped}, 403),
        ({"job": job_id, "token": token.upper()}, 403),
        ({"job": job_id, "token": token[:-1]}, 403),
        ({"job": job_id, "token": token + "0"}, 403),
        ({"job": job_id, "token": token * 2}, 403),
        ({"job": job_id + "x", "token": token}, 403),
        ({"job": "someone-else", "token": token}, 403),
        ({"job": job_id, "token": "短い\u0000"}, 403),
    ]
    raw = [
        (f"job={job_id}&token=%ED%A0%80", 403),
        (f"job={job_id}&token=%FF%FE", 403),
        (f"job={job_id}&token", 401),
        (f"job={job_id}&token=0&token={token}", 403),  # the first value counts
    ]
    while True:
        if rng.random() < 0.7:
            params, status = rng.choice(fixed)
            yield urlencode(params), status
        elif rng.random() < 0.5:
            yield rng.choice(raw)
        else:
            yield urlencode({"job": job_id, "token": random_text(rng, 40) or "x"}), 403


async def snapshot(redis: Redis) -> dict[str, Any]:
    """Every key in Redis with its value, read by type."""
    readers: dict[str, Callable[[str], Any]] = {
        "string": redis.get,
        "hash": redis.hgetall,
        "list": lambda key: redis.lrange(key, 0, -1),
        "set": redis.smembers,
        "zset": lambda key: redis.zrange(key, 0, -1, withscores=True),
    }
    state = {}
    for key in sorted(await redis.keys("*")):
        kind = await redis.type(key)
        if key == "stats:users":  # a HyperLogLog: binary, compared by its count
            state[key] = (kind, await redis.pfcount(key))
            continue
        value = await readers[kind](key)
        if key.startswith("job:"):
            # A provider's intermediate stage is shown to the user, not job state.
            value = {field: v for field, v in value.items() if field != "stage"}
        state[key] = (kind, value)
    return state


async def test_callback_endpoint_survives_fuzzing(
    start_bot: StartBot,
    telegram: TelegramEmulator,
    kie: KieEmulator,
    redis: Redis,
) -> None:
    rng = random.Random(SEED)
    # Like the `bot` fixture, but the status poll is far away so nothing else touches the job.
    async with start_bot(poll_after_seconds=3600) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="fuzz target")
        task = await bot.submitted_task()
        query = urlsplit(task.callback_url).query
        job_id, token = parse_qs(query)["job"][0], parse_qs(query)["token"][0]

        async def submitted() -> bool:  # the task id is stored just after createTask answers
            return await bot.redis.hget(f"job:{job_id}", "task_id") == task.task_id

        await eventually(submitted)
        # A genuine final body for this very task, to be sent with forged tokens only.
        bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(b"\x89PNG fuzz")])
        genuine = json.dumps(bot.kie.callback_body(task.task_id)).encode()
        state_before = await snapshot(bot.redis)
        sent_before = list(bot.telegram.sent_messages())

        cases: list[tuple[str, bytes, int]] = []
        expected_counts: Counter[int] = Counter()
        excluded = 0
        bodies = fuzz_bodies(rng, task.task_id)
        while len(cases) < VALID_TOKEN_BODIES:
            body = next(bodies)
            expected = expected_answer(body, task.task_id)
            if expected is None:
                excluded += 1
                continue
            expected_counts[expected] += 1
            cases.append((query, body, expected))
        forged = forged_queries(rng, job_id, token)
        for _ in range(FORGED_TOKEN_BODIES):
            forged_query, status = next(forged)
            body = genuine if rng.random() < 0.3 else next(bodies)
            if len(body) > CALLBACK_MAX_BODY_BYTES:
                body = genuine
            cases.append((forged_query, body, status))
        rng.shuffle(cases)

        limit = asyncio.Semaphore(8)
        content_types = ["application/json", "text/plain", "application/octet-stream", ""]

        async def post(case: tuple[str, bytes, int]) -> tuple[int, int]:
            case_query, body, expected = case
            headers = {"Content-Type": rng.choice(content_types)}
            async with limit:
                status, _ = await bot.post_callback(case_query, body, headers=headers)
            return status, expected

        answers = await asyncio.gather(*(post(case) for case in cases))
        state_after = await snapshot(bot.redis)
        sent_after = list(bot.telegram.sent_messages())

    results = list(zip(answers, cases, strict=True))
    server_errors = [(status, case) for (status, _), case in results if status >= 500]
    changed = sorted(
        key
        for key in state_before.keys() | state_after.keys()
        if state_before.get(key) != state_after.get(key)
    )
    record(
        "fuzzing (hypothesis + mutations)",
        f"{len(cases)} bodies: {len(server_errors)} 5xx, {len(changed)} state changes",
        "no 5xx, no crash, no state change",
    )
    assert server_errors == [], server_errors[:3]
    assert {status for status, _ in answers} <= {200, 400, 401, 403, 413}
    wrong = [
        (status, expected, case[0], case[1][:120])
        for (status, expected), case in results
        if status != expected
    ]
    assert wrong == [], wrong[:5]
    assert changed == [], {key: (state_before.get(key), state_after.get(key)) for key in changed}
    assert sent_after == sent_before
    assert bot.telegram.calls_to("sendPhoto") == []
    kie_creates = [r for r in bot.kie.requests if r.path.endswith("/createTask")]
    assert len(kie_creates) == 1
    # The corpus reached every branch of the endpoint, not just the JSON parse error.
    assert all(expected_counts[status] >= 3 for status in (200, 400, 403, 413)), expected_counts
    assert excluded < VALID_TOKEN_BODIES  # most mutations are garbage, not real outcomes


# -- inputs that once crashed the endpoint ---------------------------------------------

DEEP_NESTING = b"[" * 100_000
DEEP_RESULT_JSON = json.dumps(
    {"code": 200, "data": {"taskId": "other-task", "state": "success", "resultJson": "[" * 100_000}}
).encode()
HUGE_CODE = json.dumps({"taskId": "other-task", "code": "1" * 5000}).encode()
LONE_SURROGATE_TASK = b'{"taskId": "\\ud800", "status": "fail"}'


def test_deeply_nested_body_is_a_parse_error() -> None:
    assert check_parse(DEEP_NESTING) is None


def test_deeply_nested_result_json_does_not_crash_the_parser() -> None:
    check_parse(DEEP_RESULT_JSON)


def test_over_long_numeric_code_does_not_crash_the_parser() -> None:
    check_parse(HUGE_CODE)


@pytest.mark.parametrize(
    "body",
    [DEEP_NESTING, DEEP_RESULT_JSON, HUGE_CODE, LONE_SURROGATE_TASK],
    ids=["deep-nesting", "deep-resultJson", "huge-code", "lone-surrogate-task-id"],
)
async def test_crashing_bodies_get_a_4xx_and_change_nothing(bot: BotHarness, body: bytes) -> None:
    bot.send_photo(bot.new_user(), caption="crash probe")
    task = await bot.submitted_task()
    query = urlsplit(task.callback_url).query
    job_id = parse_qs(query)["job"][0]

    async def submitted() -> bool:
        return await bot.redis.hget(f"job:{job_id}", "task_id") == task.task_id

    await eventually(submitted)
    before = await bot.redis.hgetall(f"job:{job_id}")

    status, _ = await bot.post_callback(query, body)

    assert await bot.redis.hgetall(f"job:{job_id}") == before
    assert status in (200, 400, 403), f"answered {status}"
