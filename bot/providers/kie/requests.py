"""Kie's request bodies: createTask for the jobs family, generate for Suno (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.models.spec import ModelSpec

JOBS = "jobs"
SUNO = "suno"
# Suno's generate requires a callBackUrl even from a caller who polls. In polling mode it gets
# this one: `.invalid` is reserved (RFC 2606, RFC 6761) and never resolves, so Kie's calls go
# nowhere, and it names neither our host nor a job nor a token.
NO_CALLBACK_URL = "https://example.invalid/photobot-polls"


def request_body(
    spec: ModelSpec, fields: Mapping[str, Any], callback_url: str | None
) -> dict[str, Any]:
    """The body for this model's family, around the fields the registry built; without a
    callback URL (polling mode) the jobs API gets none, since it is optional there."""
    if spec.family == SUNO:
        body = {**fields, "callBackUrl": callback_url or NO_CALLBACK_URL}
        if body.get("customMode"):
            # Custom mode without lyrics is an instrumental.
            body["instrumental"] = not body.get("prompt")
        return body
    body = {"model": spec.key, "input": dict(fields)}
    if callback_url is not None:
        body["callBackUrl"] = callback_url
    return body
