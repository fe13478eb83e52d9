"""Small pure rules: stats arithmetic, poll cadence, error kinds, outcomes and user texts."""

from __future__ import annotations

import pytest

from bot import texts
from bot.admin.stats import mean_and_p95
from bot.errors import FailureKind
from bot.jobs.background.reconciler import reconcile_interval
from bot.jobs.record import JobState
from bot.jobs.store import Outcome
from bot.models.spec import Cadence
from bot.providers.base import ResultMedia, TaskOutcome, TaskStatus
from bot.providers.kie.errors import kie_error, kind_for_code

# --- stats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("durations", "mean", "p95"),
    [
        ([], None, None),
        ([7.0], 7.0, 7.0),
        ([3.0, 1.0], 2.0, 3.0),
        ([float(n) for n in range(1, 21)], 10.5, 19.0),
        ([float(n) for n in range(1, 101)], 50.5, 95.0),
        ([float(n) for n in range(100, 0, -1)], 50.5, 95.0),
        ([10.0] * 19 + [1000.0], 59.5, 10.0),
        ([10.0] * 18 + [1000.0, 2000.0], 159.0, 1000.0),
    ],
    ids=[
        "empty", "one", "two", "twenty", "hundred", "hundred-reversed", "one-outlier-in-20",
        "two-outliers-in-20",
    ],
)  # fmt: skip
def test_mean_and_p95(durations: list[float], mean: float | None, p95: float | None) -> None:
    assert mean_and_p95(durations) == (pytest.approx(mean) if mean is not None else None, p95)


def test_mean_and_p95_does_not_reorder_input() -> None:
    durations = [3.0, 1.0, 2.0]
    mean_and_p95(durations)
    assert durations == [3.0, 1.0, 2.0]


# --- reconciler cadence ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "delay"),
    [(0, 3.0), (29.9, 3.0), (30, 10.0), (119.9, 10.0), (120, 30.0), (900, 30.0), (-1, 3.0)],
)
def test_kie_poll_cadence(age: float, delay: float) -> None:
    assert Cadence().next_delay(age) == delay


@pytest.mark.parametrize(
    ("poll_after", "interval"),
    [(0.01, 0.2), (0.8, 0.2), (1.0, 0.25), (4.0, 1.0), (8.0, 2.0), (20.0, 5.0), (45.0, 5.0)],
)
def test_reconcile_interval(poll_after: float, interval: float) -> None:
    assert reconcile_interval(poll_after) == pytest.approx(interval)


# --- error kinds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (401, FailureKind.MISCONFIGURED),
        (403, FailureKind.MISCONFIGURED),
        (402, FailureKind.NO_CREDITS),
        (400, FailureKind.REJECTED),
        (413, FailureKind.REJECTED),
        (422, FailureKind.REJECTED),
        (0, FailureKind.BUSY),
        (429, FailureKind.BUSY),
        (502, FailureKind.BUSY),
        (503, FailureKind.BUSY),
        (504, FailureKind.BUSY),
        (455, FailureKind.MAINTENANCE),
        (404, FailureKind.FAILED),
        (500, FailureKind.FAILED),
        (501, FailureKind.FAILED),
        (505, FailureKind.FAILED),
        (531, FailureKind.FAILED),
        (200, FailureKind.FAILED),
    ],
)
def test_kind_for_code(code: int, kind: FailureKind) -> None:
    assert kind_for_code(code) is kind
    assert kie_error(code, "x").kind is kind


@pytest.mark.parametrize(
    ("code", "retryable"),
    [(0, True), (429, True), (500, True), (503, True), (400, False), (401, False), (422, False)],
)
def test_provider_error_retryable(code: int, retryable: bool) -> None:
    assert kie_error(code, "x").retryable is retryable


# --- Outcome.from_task -----------------------------------------------------------------------


def test_outcome_from_succeeded_task_keeps_results() -> None:
    results = (ResultMedia("https://a/1.png"), ResultMedia("https://a/2.png"))
    task = TaskOutcome("t", TaskStatus.SUCCEEDED, results)
    assert Outcome.from_task(task) == Outcome(JobState.SUCCEEDED, results=results)


@pytest.mark.parametrize("kind", list(FailureKind))
def test_outcome_from_failed_task_keeps_the_providers_reading(kind: FailureKind) -> None:
    task = TaskOutcome("t", TaskStatus.FAILED, (), "422", "why", kind)
    assert Outcome.from_task(task) == Outcome(
        JobState.FAILED, fail_kind=kind, error_code="422", error_message="why"
    )


# --- user texts ------------------------------------------------------------------------------

URL_REASON = "Your prompt https://evil.example/x?token=abc was flagged, see www.kie.ai/help now"


@pytest.mark.parametrize(
    ("reason", "cleaned"),
    [
        ("", ""),
        ("  plain  reason ", "plain reason"),
        (URL_REASON, "Your prompt was flagged, see now"),
        ("http://a https://b ftp://c", ""),
        ("x" * 300, "x" * 300),
        ("x" * 301, "x" * 299 + "…"),
        ("word " * 100, " ".join(["word"] * 60) + "…"),
    ],
    ids=["empty", "spaces", "urls-removed", "only-urls", "at-cap", "over-cap", "words-over-cap"],
)
def test_clean_reason(reason: str, cleaned: str) -> None:
    result = texts.clean_reason(reason)
    assert result == cleaned
    assert len(result) <= texts.MAX_REASON_CHARS


def test_only_rejected_shows_the_reason() -> None:
    reason = "Secret internal detail 12345"
    for kind in FailureKind:
        text = texts.failure_text(kind, reason)
        if kind is FailureKind.REJECTED:
            assert reason in text
            assert text == texts.FAILURE_BY_KIND[kind].format(reason=reason)
        else:
            assert reason not in text
            assert text == texts.FAILURE_BY_KIND[kind]


def test_rejected_without_reason_uses_default_wording() -> None:
    assert texts.REJECTED_NO_REASON in texts.failure_text(FailureKind.REJECTED, "")
    assert texts.REJECTED_NO_REASON in texts.failure_text(FailureKind.REJECTED, "https://x/y")


def test_rejected_reason_is_cleaned_and_capped() -> None:
    text = texts.failure_text(FailureKind.REJECTED, URL_REASON + " " + "y" * 500)
    assert "://" not in text and "www." not in text
    assert "y" * 300 not in text and "…" in text


def test_rejected_reason_with_braces_is_not_a_template() -> None:
    text = texts.failure_text(FailureKind.REJECTED, "bad {reason} {0}")
    assert "bad {reason} {0}" in text


@pytest.mark.parametrize("kind", ["unknown", "", "FAILED"])
def test_unknown_kind_falls_back_to_generic_failure(kind: str) -> None:
    assert texts.failure_text(kind, "detail") == texts.FAILURE_BY_KIND[FailureKind.FAILED]


def test_every_failure_kind_has_a_text() -> None:
    assert set(texts.FAILURE_BY_KIND) == set(FailureKind)


def _emoji_count(text: str) -> int:
    return sum(1 for ch in text if 0x1F300 <= ord(ch) <= 0x1FAFF or 0x2600 <= ord(ch) <= 0x27BF)


def _user_texts() -> list[tuple[str, str]]:
    constants = [
        (name, value)
        for name, value in vars(texts).items()
        if isinstance(value, str) and not name.startswith("_") and name.isupper()
    ]
    by_kind = [(f"FAILURE_BY_KIND[{kind}]", value) for kind, value in texts.FAILURE_BY_KIND.items()]
    return constants + by_kind


USER_TEXTS = _user_texts()


def test_user_texts_were_collected() -> None:
    names = {name for name, _ in USER_TEXTS}
    assert {"START", "NOT_AN_IMAGE", "FAILURE_BY_KIND[failed]"} <= names
    assert len(USER_TEXTS) >= 25


@pytest.mark.parametrize(("name", "text"), USER_TEXTS, ids=[n for n, _ in USER_TEXTS])
def test_user_text_hides_providers_and_plumbing(name: str, text: str) -> None:
    lowered = text.lower()
    for word in ("kie", "novita", "http", "token"):
        assert word not in lowered, f"{name} mentions {word!r}"
    assert _emoji_count(text) <= 1, f"{name} has more than one emoji"


@pytest.mark.parametrize(
    ("text", "count"), [("plain", 0), ("done 🎨", 1), ("☀ and ✨ and 🤖", 3), ("…“”", 0)]
)
def test_emoji_counter(text: str, count: int) -> None:
    assert _emoji_count(text) == count
