"""Prometheus metrics of one bot application: its own registry and the events that count.

Each application owns a CollectorRegistry (never prometheus_client's global one), so tests can
run several bots in one process and each scrape shows only its own bot. Label values come from
fixed sets (model keys, provider names, FailureKind, HTTP codes, Bot API methods), so the number
of series stays bounded whatever the traffic.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.errors import FailureKind

# From a few seconds (an image) to the longest deadline (a video or a track can take an hour).
TIME_TO_RESULT_BUCKETS_S = (
    2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 1800.0,
    3600.0,
)  # fmt: skip
# Our own part: from the stored outcome to the chat; a big file's upload takes seconds.
CALLBACK_TO_CHAT_BUCKETS_S = (
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
)  # fmt: skip


class Finish(StrEnum):
    """How a job ended for its user (the `outcome` label)."""

    SUCCEEDED = "succeeded"  # at least one result reached the chat
    FAILED = "failed"  # the job failed; the user was told why
    UNDELIVERED = "undelivered"  # results existed, none reached the chat
    CANCELLED = "cancelled"  # its user cancelled it while it ran; nothing more was sent


class DeliveryRetry(StrEnum):
    """Why a delivery was put back to be tried again later (the `reason` label)."""

    DOWNLOAD = "download"  # result files that may still download
    TELEGRAM = "telegram"  # the Bot API refused or failed
    CRASH = "crash"  # an unexpected exception


class FinishedJob(Protocol):
    """What the figures read of a delivered job (bot.jobs.record.Job has it)."""

    @property
    def model(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def completed_at(self) -> float | None: ...
    @property
    def fail_kind(self) -> str: ...


class Metrics:
    """The counters, histograms and gauges of one application, behind a few named events."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._jobs(self.registry)
        self._traffic(self.registry)
        self._state(self.registry)

    def _jobs(self, r: CollectorRegistry) -> None:
        """Each job's start and end, and how long its user waited."""
        self._started = Counter(
            "photobot_jobs_started", "Jobs created.", ["model", "provider"], registry=r
        )
        self._finished = Counter(
            "photobot_jobs_finished",
            "Jobs closed after telling the user (succeeded, failed or undelivered).",
            ["model", "provider", "outcome"],
            registry=r,
        )
        self._time_to_result = Histogram(
            "photobot_time_to_result_seconds",
            "From the job's creation to its result (or failure message) reaching the chat.",
            ["model", "outcome"],
            buckets=TIME_TO_RESULT_BUCKETS_S,
            registry=r,
        )
        self._callback_to_chat = Histogram(
            "photobot_callback_to_chat_seconds",
            "From the provider's final word being stored (its callback, or a status poll) to "
            "the chat.",
            ["provider"],
            buckets=CALLBACK_TO_CHAT_BUCKETS_S,
            registry=r,
        )

    def _traffic(self, r: CollectorRegistry) -> None:
        """What went over the wire: callbacks, Telegram's flood control, retries, errors."""
        self._callbacks = Counter(
            "photobot_callbacks",
            "Provider callbacks, by the HTTP status they were answered with.",
            ["provider", "code"],
            registry=r,
        )
        self._telegram_429 = Counter(
            "photobot_telegram_429", "Bot API calls answered 429 (flood control).", ["method"],
            registry=r,
        )  # fmt: skip
        self._telegram_retries = Counter(
            "photobot_telegram_retries", "Bot API calls sent again after a 429.", ["method"],
            registry=r,
        )  # fmt: skip
        self._delivery_retries = Counter(
            "photobot_delivery_retries", "Deliveries put back to be tried later.", ["reason"],
            registry=r,
        )  # fmt: skip
        self._provider_errors = Counter(
            "photobot_provider_errors",
            "Provider failures by kind, each once: a failed job (when its user is told), a "
            "submit moved to another provider, a status check that failed.",
            ["provider", "kind"],
            registry=r,
        )
        self._polls_deferred = Counter(
            "photobot_polls_deferred",
            "Status queries put off because the provider's shared polling budget (per API key, "
            "across replicas) had no room; a job put off twice counts twice.",
            ["provider"],
            registry=r,
        )

    def _state(self, r: CollectorRegistry) -> None:
        """Read from Redis at scrape time (bot/web/metrics.py)."""
        self.jobs_in_flight = Gauge(
            "photobot_jobs_in_flight",
            "Jobs waiting for their provider (read from Redis at scrape time; the same on "
            "every replica).",
            registry=r,
        )
        self.jobs_awaiting_delivery = Gauge(
            "photobot_jobs_awaiting_delivery",
            "Finished jobs not yet delivered (read from Redis at scrape time).",
            registry=r,
        )
        self.redis_up = Gauge(
            "photobot_redis_up", "1 when Redis answered a PING at scrape time.", registry=r
        )

    def job_started(self, model: str, provider: str) -> None:
        self._started.labels(model, provider).inc()

    def job_finished(self, job: FinishedJob, finish: Finish, now: float) -> None:
        """A job was delivered: count it, time it, and count a provider's failure."""
        self._finished.labels(job.model, job.provider, finish.value).inc()
        if job.created_at:
            self._time_to_result.labels(job.model, finish.value).observe(now - job.created_at)
        if job.completed_at is not None and finish is not Finish.CANCELLED:
            self._callback_to_chat.labels(job.provider).observe(now - job.completed_at)
        if finish is Finish.FAILED:
            self.provider_error(job.provider, failure_kind(job.fail_kind))

    def callback_answered(self, provider: str, status: int) -> None:
        self._callbacks.labels(provider, str(status)).inc()

    def telegram_429(self, method: str) -> None:
        self._telegram_429.labels(method).inc()

    def telegram_retry(self, method: str) -> None:
        self._telegram_retries.labels(method).inc()

    def delivery_retry(self, reason: DeliveryRetry) -> None:
        self._delivery_retries.labels(reason.value).inc()

    def provider_error(self, provider: str, kind: FailureKind) -> None:
        self._provider_errors.labels(provider, kind.value).inc()

    def polls_deferred(self, provider: str, count: int = 1) -> None:
        self._polls_deferred.labels(provider).inc(count)


def failure_kind(value: str) -> FailureKind:
    """A stored fail_kind as a FailureKind; anything else (an old record) counts as FAILED."""
    try:
        return FailureKind(value)
    except ValueError:
        return FailureKind.FAILED
