"""Starting a job, as the README's job path tells it: the user's settings, the route, the user's
slot, the stored inputs, the record, its status message, the submit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from bot.credits import Ledger, Prices
from bot.errors import InputRejected, PriceToConfirm
from bot.jobs.record import Job
from bot.jobs.start.admission import Admissions, Charge
from bot.jobs.start.create import JobRecords, new_job
from bot.jobs.start.inputs import Inputs
from bot.jobs.start.request import JobRequest
from bot.jobs.start.reroute import Rerouter
from bot.jobs.start.routing import Router
from bot.jobs.start.status import StartStatus
from bot.jobs.start.submit import Submitter
from bot.log_context import bind_job_id
from bot.models.limits import InputFile, Problem
from bot.models.spec import Capability, ModelSpec
from bot.users.settings import UserSettings


class JobService:
    """The one way a job starts."""

    def __init__(
        self,
        *,
        user_settings: UserSettings,
        router: Router,
        admissions: Admissions,
        inputs: Inputs,
        records: JobRecords,
        status: StartStatus,
        submitter: Submitter,
        rerouter: Rerouter | None = None,
        prices: Prices | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self._user_settings = user_settings
        self._router = router
        self._admissions = admissions
        self._inputs = inputs
        self._records = records
        self._status = status
        self.submitter = submitter  # also submits a chain's later steps (bot/jobs/chains.py)
        self.rerouter = rerouter  # moves a withdrawn model's failed job (bot/jobs/deliver/)
        self._prices = prices
        self._ledger = ledger

    async def start_job(self, request: JobRequest) -> Job:
        """Raises InputRejected before a job exists; after that, failures land on the job.

        Every limit the model declares is checked on Telegram's metadata before the user's slot
        is taken and anything is downloaded, and again on the files themselves. A job dearer
        than an image raises PriceToConfirm until the request carries its price.
        """
        settings = {**await self._user_settings.of(request.user_id), **request.params}
        plan = await self._router.plan(request, settings)
        job_id = uuid.uuid4().hex
        charge = await self._charge(request, plan.steps or plan.route[:1], job_id)
        admission = await self._admissions.take(request.user_id, charge)
        bind_job_id(job_id)
        try:
            inputs, route = await self._inputs.store_all(
                job_id, request.files, plan.route, stored=request.stored
            )
        except BaseException:  # the job never starts: its slot goes back
            await self._admissions.release(admission)
            raise
        job = await self._records.create(new_job(job_id, request, plan, route[0], inputs, settings))
        await self._status.started(job)
        await self.submitter.submit(job, route, settings, request.texts)
        return job

    async def _charge(
        self, request: JobRequest, steps: Sequence[ModelSpec], job_id: str
    ) -> Charge | None:
        """What the job will hold of the user's credits (None: free)."""
        quote = self._prices.quote(steps, request.user_id) if self._prices else None
        if quote is None:
            return None
        if quote.confirm and request.confirmed_price != quote.price:
            balance = await self._ledger.balance(request.user_id, 0) if self._ledger else None
            raise PriceToConfirm(quote.price, balance.available if balance else 0)
        return Charge(job_id, quote.price, steps[0].key)

    async def required_texts(self, capability: Capability, user_id: int) -> tuple[str, ...]:
        """The texts the first model for this user must have (none when no model serves it:
        starting the job then says so)."""
        settings = await self._user_settings.of(user_id)
        try:
            route = await self._router.models(capability, settings)
        except InputRejected:
            return ()
        return tuple(slot.name for slot in route[0].texts if slot.required)

    async def file_problem(
        self, capability: Capability, settings: Mapping[str, str], file: InputFile
    ) -> Problem | None:
        """A file's problem with every model that may serve it, or None when one takes it."""
        return await self._router.file_problem(capability, settings, file)
