"""Kie's request bodies: createTask for the jobs family, generate for Suno (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.models.spec import ModelSpec

JOBS = "jobs"
SUNO = "suno"


def request_body(spec: ModelSpec, fields: Mapping[str, Any], callback_url: str) -> dict[str, Any]:
    """The body for this model's family, around the fields the registry built."""
    if spec.family == SUNO:
        body = {**fields, "callBackUrl": callback_url}
        if body.get("customMode"):
            # Custom mode without lyrics is an instrumental.
            body["instrumental"] = not body.get("prompt")
        return body
    return {"model": spec.key, "callBackUrl": callback_url, "input": dict(fields)}
