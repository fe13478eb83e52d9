"""Kie's request bodies with and without a callback URL: the jobs API's is optional, Suno's is
required and gets a placeholder that leads nowhere in polling mode."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.models import REGISTRY
from bot.providers.kie.requests import NO_CALLBACK_URL, SUNO, request_body

HOOK = "https://photobot.example.com/api/kie/callback?job=j1&token=t"


def test_a_job_without_a_callback_url_sends_none() -> None:
    spec = REGISTRY.find("nano-banana-pro")
    assert spec is not None
    fields = {"prompt": "gold", "image_input": ["https://files.example/a.png"]}
    assert request_body(spec, fields, None) == {"model": spec.key, "input": fields}
    assert request_body(spec, fields, HOOK)["callBackUrl"] == HOOK


def test_suno_without_a_callback_url_gets_the_placeholder() -> None:
    [spec] = [m for m in REGISTRY.models if m.family == SUNO][:1]
    body = request_body(spec, {"prompt": "rainy jazz", "customMode": False}, None)
    assert body["callBackUrl"] == NO_CALLBACK_URL
    assert request_body(spec, {"prompt": "x", "customMode": False}, HOOK)["callBackUrl"] == HOOK


def test_the_placeholder_can_reach_nothing_of_ours() -> None:
    parts = urlsplit(NO_CALLBACK_URL)
    # `.invalid` never resolves (RFC 6761); no job id, no token, no route of ours.
    assert parts.scheme == "https" and parts.hostname == "example.invalid"
    assert parts.query == "" and "callback" not in parts.path and "webhook" not in parts.path
