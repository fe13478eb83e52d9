"""How providers fare at submit: each outcome counted (Redis for failover and /stats, metrics),
and the admins told once when one goes into or out of a cool-down or needs the operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot import texts
from bot.errors import FailureKind, ProviderError
from bot.jobs.start.failover import Failover
from bot.metrics import Metrics

# Failures only the operator can fix, by the alert key's suffix (one alert per key and period).
_OPERATOR_PROBLEMS = {FailureKind.MISCONFIGURED: "auth", FailureKind.NO_CREDITS: "credits"}


# Writes an alert in the language set around the call: each admin reads their own.
Text = Callable[[], str]


class Alerts(Protocol):
    """Telling the admins (bot.admin.AdminAlerts, wired in by the app)."""

    async def tell(self, text: Text) -> None: ...

    async def notify(self, reason_key: str, what: Text, provider_reason: str) -> None: ...


class ProviderWatch:
    """The one place a submit's outcome for its provider is recorded and told."""

    def __init__(self, failover: Failover, alerts: Alerts, metrics: Metrics) -> None:
        self._failover = failover
        self._alerts = alerts
        self._metrics = metrics

    async def failed(self, provider: str, exc: ProviderError) -> None:
        await self._failover.failed(provider, exc)

    async def moved(self, exc: ProviderError, to: str) -> None:
        """A job left the failed provider for `to`: its cool-down starts (told once). A
        withdrawn model cools nothing: the provider's other models still serve."""
        if exc.kind is not FailureKind.WITHDRAWN and await self._failover.trip(
            exc.provider, exc.kind
        ):
            minutes = self._failover.cooldown_s / 60
            await self._alerts.tell(lambda: texts.failover_alert(exc, to, minutes))
        self._metrics.provider_error(exc.provider, exc.kind)

    async def succeeded(self, provider: str) -> None:
        """A good submit; the first since jobs were moved away is told."""
        if await self._failover.succeeded(provider):
            await self._alerts.tell(lambda: texts.failover_back(provider))

    async def withdrawn(self, exc: ProviderError, model: str) -> None:
        """The provider no longer offers `model`: the admins hear it once per model and alert
        period, however many jobs meet it (at submit or as a failed task)."""
        key, provider = f"{exc.provider}_withdrawn_{model}", exc.provider
        await self._alerts.notify(
            key, lambda: texts.withdrawn_alert(provider, model), exc.message or str(exc.code)
        )

    async def gave_up(self, exc: ProviderError) -> None:
        """A job failed at submit: the admins hear of what only they can fix."""
        suffix = _OPERATOR_PROBLEMS.get(exc.kind)
        if suffix is not None:
            key, kind, name = f"{exc.provider}_{suffix}", exc.kind, exc.provider
            await self._alerts.notify(key, lambda: texts.operator_alert(kind, name), exc.message)
