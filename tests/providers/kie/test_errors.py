"""What Kie's codes mean: each code's failure kind, and which ones are worth a retry."""

from __future__ import annotations

import pytest

from bot.errors import FailureKind
from bot.providers.kie.errors import kie_error, kind_for_code


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
        (505, FailureKind.WITHDRAWN),  # feature disabled
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


def test_a_refusal_worded_as_such_is_a_refusal_whatever_its_code() -> None:
    refused = kie_error(500, "Inappropriate content, please try another prompt.")
    assert (refused.kind, refused.retryable) == (FailureKind.REJECTED, False)
    plain = kie_error(500, "internal error")
    assert (plain.kind, plain.retryable) == (FailureKind.FAILED, True)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (422, "The model is not supported"),
        (422, "the MODEL is NOT supported"),
        (422, "model name not supported"),
        (500, "The page does not exist or is not published"),
        (400, "Unsupported model: sora-2-pro-text-to-video"),
        (505, ""),
    ],
)
def test_a_withdrawn_model_is_never_a_refusal_and_never_retried(code: int, message: str) -> None:
    error = kie_error(code, message)
    assert (error.kind, error.retryable) == (FailureKind.WITHDRAWN, False)


@pytest.mark.parametrize("message", ["model is required", "prompt is required", "x"])
def test_other_validation_errors_stay_rejections(message: str) -> None:
    assert kie_error(422, message).kind is FailureKind.REJECTED
