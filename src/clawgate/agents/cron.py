"""Cron: `cron.jobs[]` run on a schedule (a cron expression; a sixth field is seconds) or once after start-up
(`delaySeconds`), through the same session/run path as a chat (one session per job, titled `cron:<id>`).

Every firing is recorded (`clawgate cron history`): ok, or the failure with its owner, or why it was skipped.
A job whose provider credential is rejected, blocked or cooling down (the health registry) is skipped — no
request is made — until the health window ends; a failed job waits for its next occurrence. Nothing retries in a
loop: a job fires at most once per occurrence, and not while its previous run is still going.

With many gateway processes only the holder of the lease `cron.leader` fires schedules, and each occurrence is
claimed once in the shared state (`cron.fired:<job>:<time>`), so a change of leader never fires one twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clawgate import logs as log
from clawgate.agents.errors import NotFound
from clawgate.config.schema import CronJob
from clawgate.errors import ClawgateError
from clawgate.state.base import StateUnavailable
from clawgate.state.lease import Lease
from clawgate.store.base import CronRecord, HealthRecord

if TYPE_CHECKING:
    from clawgate.agents.sessions import SessionManager

MAX_SLEEP = 1.0  # the config is re-read at least this often (jobs added or changed take effect)
LEADER_TTL = 10.0  # a leader that stops renewing (it died) is replaced after this long
OCCURRENCE_TTL = 7 * 24 * 3600.0
_STATUS = {"completed": "ok"}


@dataclass
class JobState:
    job: CronJob
    index: int
    key: tuple[Any, ...]
    next_at: float | None = None
    fired: bool = False  # a delay job runs once
    running: asyncio.Task[Any] | None = None
    skipped_until: float | None = None  # the health window a skip was recorded for (one record per window)
    invalid: str | None = None
    fires: int = 0  # runs started by the schedule
    skips: int = 0  # occurrences skipped (health window or previous run still going)


def job_key(job: CronJob) -> tuple[Any, ...]:
    return (job.schedule, job.delay_seconds, job.enabled, job.agent, job.model, job.prompt)


def next_fire(expr: str, after: float) -> float:
    from croniter import croniter  # imported when a job needs it: keeps the idle gateway small

    return float(croniter(expr, after).get_next(float))


def schedule_error(expr: str) -> str | None:
    from croniter import croniter

    if croniter.is_valid(expr):
        return None
    return f"{expr!r} is not a cron expression (5 fields, or 6 with seconds last: '*/10 * * * * 0')"


class CronScheduler:
    def __init__(
        self, mgr: SessionManager, via: str = "gateway", clock: Callable[[], float] = time.time
    ) -> None:
        self.mgr = mgr
        self.via = via
        self.clock = clock
        self.started_at = clock()
        self.states: dict[str, JobState] = {}
        self._task: asyncio.Task[None] | None = None
        self._sessions: dict[str, str] = {}
        self.leader: Lease | None = None

    # -- config -----------------------------------------------------------------------------------------

    def jobs(self) -> list[tuple[int, CronJob]]:
        return list(enumerate(self.mgr.rt.snapshot.config.cron.jobs))

    def job(self, job_id: str) -> tuple[int, CronJob]:
        for i, job in self.jobs():
            if job.id == job_id:
                return i, job
        known = ", ".join(j.id for _, j in self.jobs()) or "none"
        raise NotFound(f"no cron job {job_id!r} (jobs: {known})", next_steps=["clawgate cron list"])

    def _sync(self, now: float) -> None:
        seen = set()
        for i, job in self.jobs():
            seen.add(job.id)
            st = self.states.get(job.id)
            key = job_key(job)
            if st is not None and st.key == key:
                st.job, st.index = job, i
                continue
            st = JobState(job, i, key, fired=st.fired if st is not None else False)
            if job.schedule is not None:
                st.invalid = schedule_error(job.schedule)
                if st.invalid:
                    log.event("cron.invalid", st.invalid, level=30, job=job.id)
                    self._record(
                        CronRecord(
                            job.id,
                            now,
                            "skipped",
                            via=self.via,
                            owner="config",
                            code="config.invalid_value",
                            message=st.invalid,
                            next_steps=[f"clawgate config set cron.jobs[{i}].schedule '*/5 * * * *'"],
                        )
                    )
                elif job.enabled:
                    st.next_at = next_fire(job.schedule, now)
            elif job.enabled and not st.fired:
                st.next_at = self.started_at + float(job.delay_seconds or 0)
            self.states[job.id] = st
        for gone in set(self.states) - seen:
            del self.states[gone]

    # -- the loop ---------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self.started_at = self.clock()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="cron")

    async def lead(self) -> bool:
        """Hold (or renew) the cron leader lease; only the leader fires schedules."""
        if self.leader is None:
            node = self.mgr.coord.node
            self.leader = Lease(node.shared, "cron.leader", node.worker, LEADER_TTL)
        return await self.leader.acquire()

    async def stop(self) -> None:
        if self.leader is not None:
            await self.leader.release()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for st in self.states.values():
            if st.running is not None and not st.running.done():
                st.running.cancel()

    async def _loop(self) -> None:
        while True:
            try:
                if await self.lead():
                    self.tick()
            except Exception as exc:  # never let the scheduler die
                log.event("cron.failed", f"{type(exc).__name__}: {exc}", level=40, exc_info=True)
            now = self.clock()
            wake = min([now + MAX_SLEEP, *(s.next_at for s in self.states.values() if s.next_at is not None)])
            await asyncio.sleep(max(0.01, wake - now))

    def tick(self) -> None:
        """Fire every job that is due (each at most once per occurrence)."""
        now = self.clock()
        self._sync(now)
        for st in self.states.values():
            if st.next_at is None or st.next_at > now or not st.job.enabled:
                continue
            delay_job = st.job.schedule is None
            occurrence = st.next_at
            st.next_at = None if delay_job else next_fire(st.job.schedule or "", now)
            if delay_job:
                st.fired = True
            if st.running is not None and not st.running.done():
                st.skips += 1
                self._record(
                    CronRecord(
                        st.job.id,
                        now,
                        "skipped",
                        trigger="delay" if delay_job else "schedule",
                        via=self.via,
                        agent=st.job.agent,
                        owner="runtime",
                        code="cron.still_running",
                        message="skipped: the previous run of this job is still running",
                    )
                )
                continue
            blocked = self.health_block(st.job, st.index)
            if blocked is not None:
                self._skip(st, blocked, now)
                continue
            st.fires += 1
            st.running = asyncio.get_running_loop().create_task(
                self._fire(st.job.id, "delay" if delay_job else "schedule", occurrence),
                name=f"cron {st.job.id}",
            )

    async def _fire(self, job_id: str, trigger: str, occurrence: float) -> CronRecord | None:
        """Claim the occurrence in the shared state, then run it; another process that claimed it runs it."""
        node = self.mgr.coord.node
        key = f"cron.fired:{job_id}:{trigger}:{occurrence:.3f}"
        try:
            if not await node.shared.add(key, node.worker, OCCURRENCE_TTL):
                return None
        except StateUnavailable:
            pass  # the engine is away: this leader fires it (once, by its own schedule)
        return await self.run_job(job_id, trigger)

    # -- health ---------------------------------------------------------------------------------------

    def health_block(self, job: CronJob, index: int) -> HealthRecord | None:
        """The health record that rules out every credential of the job's plan right now (None: it may run)."""
        rt = self.mgr.rt
        try:
            plan = rt.plan(job.agent, job.model, model_from=f"cron.jobs[{index}].model")
        except ClawgateError:
            return None  # the run fails without a request and records why
        found: HealthRecord | None = None
        for att in plan.attempts:
            if att.error or att.credential is None:
                return None
            creds = att.credential.distinct_usable()
            if not creds:
                return None
            for c in creds:
                verdict = rt.health.verdict(att.provider, c.fingerprint, att.model, att.base_url)
                if verdict.allowed:
                    return None
                found = found or verdict.record
        return found

    def _skip(self, st: JobState, rec: HealthRecord, now: float) -> None:
        st.skips += 1
        if st.job.schedule is None:
            st.next_at = rec.until  # a once-after-start job runs when the window ends
            st.fired = False
        if st.skipped_until == rec.until:
            return  # one record per health window
        st.skipped_until = rec.until
        until = time.strftime("%H:%M:%S", time.localtime(rec.until)) if rec.until else "?"
        if rec.state == "rejected":
            owner, code = "provider_auth", "auth.rejected"
        elif rec.state == "cooling":
            owner, code = "rate_limit", "health.cooling"
        else:
            owner, code = rec.first_owner or "provider_access", rec.first_code or "access.billing"
        first = f"; first failure: {rec.first_code}: {rec.first_message}" if rec.first_code else ""
        self._record(
            CronRecord(
                st.job.id,
                now,
                "skipped",
                trigger="delay" if st.job.schedule is None else "schedule",
                via=self.via,
                agent=st.job.agent,
                owner=owner,
                code=code,
                message=f"skipped: {rec.provider} credential {rec.cred_source or ''} ({rec.fingerprint}) is "
                f"{rec.state} until {until}{first}; no request is made before then",
                next_steps=[
                    "clawgate health list",
                    f"clawgate models status --probe --probe-provider {rec.provider}",
                ],
            )
        )

    # -- running one job --------------------------------------------------------------------------------

    async def session_id(self, job: CronJob) -> str:
        mgr = self.mgr
        agent = mgr.rt.snapshot.agent(job.agent).id
        sid = self._sessions.get(f"{job.id}\0{agent}")
        if sid is not None:
            return sid
        title = f"cron:{job.id}"
        await mgr.durable()
        rec = await asyncio.to_thread(mgr.store.find_session, agent, title, "cron")
        if rec is None:
            state = await mgr.create_session(agent, title=title, kind="cron")
            sid = state.id
        else:
            sid = rec.id
        self._sessions[f"{job.id}\0{agent}"] = sid
        return sid

    async def run_job(self, job_id: str, trigger: str = "manual") -> CronRecord:
        """Run one job now through the session path, wait for the run, record the outcome."""
        index, job = self.job(job_id)
        t0 = self.clock()
        try:
            sid = await self.session_id(job)
            posted = await self.mgr.post(
                sid,
                job.prompt,
                mode="queue",
                trigger=f"cron:{job.id}",
                model=job.model,
                model_from=f"cron.jobs[{index}].model",
            )
        except ClawgateError as exc:
            rec = CronRecord(
                job.id,
                t0,
                "error",
                trigger=trigger,
                via=self.via,
                agent=job.agent,
                owner=exc.owner,
                code=exc.code,
                message=exc.message,
                next_steps=list(exc.next_steps),
                ended_at=self.clock(),
            )
            self._record(rec)
            return rec
        run = posted.run
        assert run is not None
        await run.done.wait()
        r = run.rec
        err = r.error or {}
        rec = CronRecord(
            job.id,
            t0,
            _STATUS.get(r.status, r.status),
            trigger=trigger,
            via=self.via,
            ended_at=self.clock(),
            run_id=r.id,
            session_id=r.session_id,
            agent=r.agent,
            ref=r.ref,
            owner=err.get("owner") if r.status != "completed" else None,
            code=err.get("code") if r.status != "completed" else None,
            message=err.get("message") if r.status != "completed" else None,
            next_steps=list(err.get("next") or []) if r.status != "completed" else None,
        )
        self._record(rec)
        return rec

    def _record(self, rec: CronRecord) -> None:
        self.mgr.store.record_cron(rec)
        log.event(
            "cron.run",
            f"cron job {rec.job_id}: {rec.status}" + (f" ({rec.owner} {rec.code})" if rec.owner else ""),
            job=rec.job_id,
            status=rec.status,
            run=rec.run_id,
            owner=rec.owner,
            code=rec.code,
        )

    # -- listing ----------------------------------------------------------------------------------------

    def list_json(self, now: float | None = None) -> list[dict[str, Any]]:
        return jobs_json(self.jobs(), self.started_at, now or self.clock(), self.states)


def jobs_json(
    jobs: list[tuple[int, CronJob]],
    started_at: float | None,
    now: float,
    states: dict[str, JobState] | None = None,
) -> list[dict[str, Any]]:
    out = []
    for i, job in jobs:
        st = (states or {}).get(job.id)
        problem = schedule_error(job.schedule) if job.schedule is not None else None
        if st is not None:
            nxt = st.next_at
        elif not job.enabled or problem:
            nxt = None
        elif job.schedule is not None:
            nxt = next_fire(job.schedule, now)
        else:
            nxt = (started_at + float(job.delay_seconds or 0)) if started_at is not None else None
        out.append(
            {
                "id": job.id,
                "path": f"cron.jobs[{i}]",
                "agent": job.agent,
                "prompt": job.prompt,
                "schedule": job.schedule,
                "delay_seconds": job.delay_seconds,
                "model": job.model,
                "enabled": job.enabled,
                "next_at": nxt,
                "running": bool(st and st.running and not st.running.done()),
                "fires": st.fires if st else 0,
                "skips": st.skips if st else 0,
                "problem": problem,
            }
        )
    return out
