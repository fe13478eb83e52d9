"""Provider callbacks (one route per provider): bounded read, authenticate, parse, store
atomically, then answer. The provider parses and verifies; everything else is shared."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

from bot.deps import Deps
from bot.errors import ProviderError
from bot.jobs import Outcome, RecordResult
from bot.log_context import bind_job_id
from bot.metrics import Metrics
from bot.models.spec import ModelSpec
from bot.providers.base import CallbackParseError, Provider, TaskOutcome
from bot.providers.budget import PollBudgets
from bot.providers.callback_tokens import verify_callback_token
from bot.web.keys import CLIENT_LIMITS, DEPS, METRICS, REFUSALS
from bot.web.slow_clients import BodyTooSlow, answer_and_close, read_body

log = logging.getLogger(__name__)

# Answered thousands of times a second: built once.
_OK_BODY = b'{"code":200,"msg":"success"}'


def _ok() -> web.Response:
    return web.Response(body=_OK_BODY, content_type="application/json")


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"code": status, "msg": message}, status=status)


def _refuse(
    request: web.Request, status: int, message: str, reason: str, detail: str = ""
) -> web.Response:
    request.app[REFUSALS].refused(f"{request.match_info.route.name} callback", reason, detail)
    return _answer(status, message)


def provider_callback(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The route handler for one provider's callbacks; every answer is counted."""

    async def callback(request: web.Request) -> web.Response:
        status = 500  # an exception escaping the pipeline becomes aiohttp's 500
        try:
            response = await _route(request, name)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            request.app[METRICS].callback_answered(name, status)

    return callback


async def _route(request: web.Request, name: str) -> web.Response:
    provider = request.app[DEPS].providers.get(name)
    if provider is None:  # the route exists, the provider is not configured
        return _refuse(request, 404, "not found", "provider not configured")
    return await _callback(request, provider)


async def _callback(request: web.Request, provider: Provider) -> web.Response:
    deps = request.app[DEPS]
    job_id = request.query.get("job", "")
    token = request.query.get("token", "")
    if not job_id or not token:
        return _refuse(request, 401, "missing token", "missing token")
    if not verify_callback_token(deps.callback_secret, provider.name, job_id, token):
        return _refuse(request, 403, "forbidden", "wrong token")
    bind_job_id(job_id)  # only once the token shows the job is ours
    try:
        # The app's client_max_size (1 MiB) stops reading as soon as the body goes past it.
        raw = await read_body(request, request.app[CLIENT_LIMITS].body_timeout_s)
        outcome = provider.parse_callback(raw)
    except BodyTooSlow:
        refusal = _refuse(request, 408, "body too slow", "body too slow", f"job {job_id}")
        return await answer_and_close(request, refusal)
    except web.HTTPRequestEntityTooLarge:
        return _refuse(request, 413, "body too large", "body too large", f"job {job_id}")
    except CallbackParseError as exc:
        return _refuse(request, 400, str(exc), "malformed body", f"job {job_id}: {exc}")
    if not provider.callback_authentic(request.headers, outcome, time.time()):
        return _refuse(request, 401, "bad signature", "bad signature", f"job {job_id}")
    if not outcome.final:
        if outcome.early:
            return await _early(request, provider, job_id, outcome)
        return await _stage(deps, job_id, outcome.stage)
    try:
        if provider.confirm_callbacks:
            result = await _confirm_and_record(
                deps, request.app[METRICS], provider, job_id, outcome.task_id
            )
        else:
            result = await deps.store.record_outcome(
                job_id, Outcome.from_task(outcome), expected_task_id=outcome.task_id
            )
    except (RedisError, OSError):
        log.warning("callback for job %s: redis unavailable, asking for a retry", job_id)
        return _answer(503, "try again later")
    if result == RecordResult.TASK_MISMATCH:
        return _refuse(request, 403, "forbidden", "another job's task", f"job {job_id}")
    log.info("callback for job %s: %s (%s)", job_id, outcome.status, _RESULT_NAMES[result])
    return _ok()


async def _stage(deps: Deps, job_id: str, stage: str) -> web.Response:
    """An intermediate stage changes no state; it is kept only to tell the user how far it is."""
    if stage:
        try:
            await deps.store.set_stage(job_id, stage)
        except (RedisError, OSError):
            log.warning("callback for job %s: redis unavailable, stage not kept", job_id)
    return _ok()


async def _early(
    request: web.Request, provider: Provider, job_id: str, outcome: TaskOutcome
) -> web.Response:
    """A stage with results already ready (a song's first track): kept once, sent at once."""
    deps = request.app[DEPS]
    try:
        if provider.confirm_callbacks:  # an unsigned body: believe only a status query
            outcome = await _confirmed_pending(deps, provider, job_id, outcome)
        if outcome.stage:
            await deps.store.set_stage(job_id, outcome.stage)
        result = await deps.store.record_early(
            job_id, outcome.early, expected_task_id=outcome.task_id
        )
    except (RedisError, OSError):
        log.warning("callback for job %s: redis unavailable, asking for a retry", job_id)
        return _answer(503, "try again later")
    if result == RecordResult.TASK_MISMATCH:
        return _refuse(request, 403, "forbidden", "another job's task", f"job {job_id}")
    log.info("callback for job %s: %s, %d early result(s) new", job_id, outcome.stage, result)
    return _ok()


async def _confirmed_pending(
    deps: Deps, provider: Provider, job_id: str, claimed: TaskOutcome
) -> TaskOutcome:
    """What a status query says of a pending task's early results; none when it cannot."""
    job = await deps.store.get(job_id)
    spec = deps.registry.find(job.model) if job is not None else None
    if job is None or spec is None or (job.task_id and job.task_id != claimed.task_id):
        return TaskOutcome(claimed.task_id, claimed.status, stage=claimed.stage)
    task_id = job.task_id or claimed.task_id
    if not await _slot(deps, provider, spec, task_id):  # the final word will come by a poll
        return TaskOutcome(claimed.task_id, claimed.status, stage=claimed.stage)
    try:
        task = await provider.poll(spec, task_id, quick=True)
    except ProviderError as exc:
        log.warning("job %s: early confirmation failed (%s)", job_id, exc.code)
        return TaskOutcome(claimed.task_id, claimed.status, stage=claimed.stage)
    return task if not task.final else TaskOutcome(claimed.task_id, claimed.status)


async def _confirm_and_record(
    deps: Deps, metrics: Metrics, provider: Provider, job_id: str, claimed_task_id: str
) -> int:
    """A callback body is not signed: believe only what a status query says about our task."""
    job = await deps.store.get(job_id)
    if job is None:
        return RecordResult.UNKNOWN_JOB
    if job.task_id and job.task_id != claimed_task_id:
        return RecordResult.TASK_MISMATCH
    spec = deps.registry.find(job.model)
    if spec is None:
        return RecordResult.UNKNOWN_JOB
    task_id = job.task_id or claimed_task_id
    if not await _slot(deps, provider, spec, task_id):
        # The shared budget is spent: the reconciler asks when it has room, in its turn.
        await deps.store.reschedule_poll(job_id, time.time())
        return RecordResult.DUPLICATE
    try:
        task = await provider.poll(spec, task_id, quick=True)
    except ProviderError as exc:
        log.warning("job %s: confirmation failed (%s); polling instead", job_id, exc.code)
        metrics.provider_error(provider.name, exc.kind)
        await deps.store.reschedule_poll(job_id, time.time())
        return RecordResult.DUPLICATE
    if not task.final:
        return RecordResult.DUPLICATE
    return await deps.store.record_outcome(
        job_id, Outcome.from_task(task), expected_task_id=task.task_id
    )


_RESULT_NAMES = {
    RecordResult.STORED: "stored",
    RecordResult.DUPLICATE: "duplicate",
    RecordResult.UNKNOWN_JOB: "unknown job",
}


async def _slot(deps: Deps, provider: Provider, spec: ModelSpec, task_id: str) -> bool:
    """A confirming status query takes its slot from the provider's shared polling budget,
    as the reconciler's do (bot/providers/budget.py)."""
    marked_s = int(spec.deadline_s) + 60  # the task is done with by then
    budgets = PollBudgets(deps.redis)
    taken = await budgets.take(provider.poll_budgets(spec, task_id), task_id, marked_s)
    return taken.granted
