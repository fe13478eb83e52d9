"""What both providers' HTTP clients share: bearer-key JSON calls, busy answers retried with
backoff, and a request that never reached the provider told from one whose answer was lost on
the way back. Each provider only says what an answer means."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp

from bot.errors import ProviderError
from bot.loops import doubling, retrying

T = TypeVar("T")
# Turns (HTTP status, JSON body or None) into a result, or raises the provider's ProviderError.
Interpret = Callable[[int, Any], T]
# The provider's error for a request that got no answer; the flag is `answer_lost`.
NetworkError = Callable[[str, bool], ProviderError]


def never_arrived(exc: BaseException) -> bool:
    """Whether a failed request surely never reached the provider (the connection was never
    made), so sending it again cannot make it act twice."""
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def answer_lost(method: str, exc: BaseException) -> bool:
    """A POST that may have been carried out although its answer never came (a timeout, a
    dropped connection): sending it again could start, and charge for, a second task."""
    return method == "POST" and not never_arrived(exc)


class JsonApi:
    """One provider's HTTP API: its root, its bearer key, how often to try."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        name: str,
        network_error: NetworkError,
        attempts: int,
        backoff_s: float,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._name = name
        self._network_error = network_error
        self.attempts = attempts
        self._backoff_s = backoff_s

    async def call(
        self,
        method: str,
        path: str,
        interpret: Interpret[T],
        *,
        request: Callable[[], dict[str, Any]] = dict,
        timeout_s: float,
        attempts: int | None = None,
    ) -> T:
        """`request()` gives the keywords for aiohttp (rebuilt per attempt: a sent form cannot
        be sent again); retryable errors are tried again."""
        tries = attempts or self.attempts
        return await retrying(
            lambda: self._once(method, path, interpret, request(), timeout_s),
            retry_if=lambda exc: isinstance(exc, ProviderError) and exc.retryable,
            delays=itertools.islice(doubling(self._backoff_s), tries - 1),
            what=f"{self._name} {method} {path}",
        )

    async def _once(
        self,
        method: str,
        path: str,
        interpret: Interpret[T],
        kwargs: dict[str, Any],
        timeout_s: float,
    ) -> T:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._session.request(
                method, self._base_url + path, headers=self._headers, timeout=timeout, **kwargs
            ) as response:
                body = await _json_or_none(response)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = f"network error: {type(exc).__name__}"
            raise self._network_error(message, answer_lost(method, exc)) from exc
        return interpret(status, body)


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None
