"""Job use cases and the JobRunner against the in-memory job store, a fake clock and a worker
that runs each job inline (the threaded worker: tests/integration/jobs/test_job_worker.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.jobs import Job, JobOutcome, JobStatus, Schedule
from aiops.domain.usecases.job_handlers import PlaybookJob, check_shape, default_handlers
from aiops.domain.usecases.jobs import (
    AddJob,
    AddJobCommand,
    DisableJob,
    EnableJob,
    JobRunner,
    ListJobs,
    RemoveJob,
    RunJobNow,
    RunJobNowCommand,
    RunnerPolicy,
    job_outcome,
    lease_is_stale,
    next_run_after,
    params_from_json,
    run_handler,
)
from aiops.ports.jobs import JobHandler
from tests.fakes import FakeClock, FakeJobStore, FakeJobWorker, FakeStop, FakeUnitOfWork


class Noop:
    """The test kind: records each run, optionally doing something while it runs."""

    def __init__(self, during: Callable[[Job], None] | None = None) -> None:
        self.runs: list[str] = []
        self._during = during

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_shape("noop", params, {}, {"fail": _Anything()})

    def __call__(self, job: Job) -> str:
        self.runs.append(job.name)
        if self._during:
            self._during(job)
        if job.params.get("fail"):
            raise DomainError("told to fail")
        return "nothing done"


class _Anything:
    kind = "anything"

    def check(self, value: Any) -> bool:
        return True


class Events:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def claimed(self, job: Job) -> None:
        self.lines.append(f"claimed {job.name}")

    def finished(self, job: Job, outcome: JobOutcome, recorded: bool) -> None:
        self.lines.append(f"finished {job.name} {outcome.status} recorded={recorded}")

    def released(self, job: Job, reason: str) -> None:
        self.lines.append(f"released {job.name}: {reason}")


class World:
    def __init__(self, during: Callable[[Job], None] | None = None) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.store = FakeJobStore(self.uow)
        self.noop = Noop(during)
        self.handlers: dict[str, JobHandler] = {
            **default_handlers(
                sync=_unused,
                resync=_unused,
                fetch=_unused,
                playbook=None,  # type: ignore[arg-type]
            ),
            "noop": self.noop,
        }
        self.events = Events()
        self.worker = FakeJobWorker()
        self.add = AddJob(uow=self.uow, clock=self.clock, handlers=self.handlers,
                          timezone="Europe/Berlin")  # fmt: skip

    def runner(self, owner: str = "a", **policy: Any) -> JobRunner:
        return JobRunner(
            store=self.store,
            handlers=self.handlers,
            clock=self.clock,
            worker=self.worker,
            policy=RunnerPolicy(owner=owner, **policy),
            events=self.events,
        )

    def job(self, name: str) -> Job:
        with self.uow as uow:
            found = uow.jobs.get_by_name(name)
        assert found is not None
        return found

    def add_noop(self, name: str, every: str = "5m", **params: Any) -> Job:
        return self.add(AddJobCommand(name=name, kind="noop", every=every, params=params))


def _unused() -> Any:
    raise AssertionError("not used in these tests")


def test_an_added_interval_job_is_due_one_interval_from_now() -> None:
    w = World()
    job = w.add_noop("nightly", every="1h30m")
    assert job.next_run == w.clock.now() + timedelta(minutes=90)
    assert job.schedule.describe() == "every 1h30m"
    assert [e.action for e in w.uow.committed.audit] == ["job.added"]


def test_a_cron_job_gets_the_default_time_zone_and_its_next_wall_clock_match() -> None:
    w = World()  # 2026-01-01 12:00 UTC = 13:00 in Berlin
    job = w.add(AddJobCommand(name="morning", kind="noop", cron="0 7 * * *"))
    assert job.schedule.timezone == "Europe/Berlin"
    assert job.next_run.isoformat() == "2026-01-02T06:00:00+00:00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Bad Name"}, "name: 'Bad Name' is not a valid slug"),
        ({"kind": "reboot"}, "kind: unknown job kind 'reboot': use one of noop, playbook"),
        ({"every": None, "cron": "61 * * * *"}, "cron: '61 * * * *' is not a valid cron"),
        ({"every": None, "cron": "* * * *"}, "cron: '* * * *' is not a cron expression"),
        ({"every": None, "cron": "0 0 30 2 *"}, "cron: '0 0 30 2 *' never names a time"),
        ({"every": "5 minutes"}, "every: '5 minutes' is not an interval"),
        ({"every": "0s"}, "every: must be between 1 second and 366 days"),
        ({"cron": "* * * * *"}, "schedule: give exactly one of an interval or a cron"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({"timezone": "../etc/passwd"}, "timezone: '../etc/passwd' is not a time zone name"),
        ({"kind": "sync-issues"}, "params: sync-issues needs 'connection_id'"),
        (
            {"kind": "sync-issues", "params": {"connection_id": True}},
            "params: sync-issues: 'connection_id' must be a positive whole number",
        ),
        (
            {"kind": "workspace-fetch", "params": {"project_id": 2, "pull": True}},
            "params: workspace-fetch takes no 'pull' (its params: project_id)",
        ),
        (
            {"kind": "playbook", "params": {"playbook": "../../etc/evil"}},
            "params: playbook: 'playbook' must be a name",
        ),
        ({"kind": "tmux-resync", "params": {"x": 1}}, "params: tmux-resync takes no 'x'"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    change: dict[str, Any], message: str
) -> None:
    w = World()
    command = AddJobCommand(**{**{"name": "job", "kind": "noop", "every": "5m"}, **change})
    with pytest.raises(ValidationError) as error:
        w.add(command)
    assert message in error.value.message
    assert w.uow.committed.jobs == {}
    assert w.uow.committed.audit == []


def test_a_second_job_of_one_name_is_a_conflict() -> None:
    w = World()
    w.add_noop("dup")
    with pytest.raises(Conflict):
        w.add_noop("dup")


def test_only_admins_manage_jobs() -> None:
    w = World()
    w.add_noop("mine")
    member = Actor(name="ivo@example.com", user_id=5)
    with pytest.raises(PermissionDenied):
        w.add(AddJobCommand(name="x", kind="noop", every="5m", actor=member))
    for use_case in (
        ListJobs(uow=w.uow),
        EnableJob(uow=w.uow, clock=w.clock),
        RemoveJob(uow=w.uow, clock=w.clock),
    ):
        with pytest.raises(PermissionDenied):
            use_case("mine", member) if not isinstance(use_case, ListJobs) else use_case(member)


def test_params_come_as_a_json_object() -> None:
    assert params_from_json('{"project_id": 2}') == {"project_id": 2}
    assert params_from_json("") == {}
    with pytest.raises(ValidationError, match="params: is not JSON"):
        params_from_json("{project_id: 2}")
    with pytest.raises(ValidationError, match="params: must be a JSON object"):
        params_from_json("[2]")


def test_the_runner_runs_each_due_job_once_and_records_the_outcome() -> None:
    w = World()
    for name in ("a1", "a2", "later"):
        w.add_noop(name)
    w.add_noop("broken", fail=True)
    w.clock.advance(minutes=5)
    w.add_noop("later2")  # due 5 minutes from now: not yet
    outcomes = w.runner().run_once()
    assert sorted(w.noop.runs) == ["a1", "a2", "broken", "later"]
    assert len(outcomes) == 4
    assert w.runner().run_once() == []
    ok, broken = w.job("a1"), w.job("broken")
    assert ok.last_status is JobStatus.OK
    assert ok.last_error is None
    assert ok.last_duration is not None
    assert ok.next_run == w.clock.now() + timedelta(minutes=5)
    assert ok.lease_owner is None
    assert broken.last_status is JobStatus.FAILED
    assert broken.last_error == "told to fail"


def test_disabled_jobs_are_not_claimed_and_enabling_schedules_from_now() -> None:
    w = World()
    w.add_noop("off")
    DisableJob(uow=w.uow, clock=w.clock)("off")
    w.clock.advance(minutes=10)
    assert w.runner().run_once() == []
    job = EnableJob(uow=w.uow, clock=w.clock)("off")
    assert job.next_run == w.clock.now() + timedelta(minutes=5)
    assert [e.action for e in w.uow.committed.audit][-2:] == ["job.disabled", "job.enabled"]


def test_a_job_leased_by_a_live_runner_is_not_claimed_and_an_expired_lease_is() -> None:
    w = World()
    w.add_noop("shared")
    w.clock.advance(minutes=5)
    lease = timedelta(seconds=30)
    assert [j.name for j in w.store.claim_due("dead", w.clock.now(), lease, 10)] == ["shared"]
    w.clock.advance(seconds=29)
    assert w.runner("b").run_once() == []
    w.clock.advance(seconds=2)
    assert len(w.runner("b").run_once()) == 1
    assert w.noop.runs == ["shared"]
    assert w.store.finished[0][1] == "b"


def test_a_runner_that_lost_its_lease_does_not_overwrite_the_new_owners_result() -> None:
    def during(job: Job) -> None:
        if len(w.noop.runs) == 1:  # runner a, slow: its lease runs out and b takes the job
            w.clock.advance(seconds=31)
            w.runner("b").run_once()

    w = World(during)
    w.add_noop("contended")
    w.clock.advance(minutes=5)
    w.runner("a").run_once()
    assert w.noop.runs == ["contended", "contended"]
    assert "finished contended ok recorded=True" in w.events.lines  # b's
    assert w.events.lines[-1] == "finished contended ok recorded=False"  # a's, refused
    assert [owner for _, owner, _ in w.store.finished] == ["b"]


def test_a_running_job_renews_its_lease_so_no_other_runner_takes_it() -> None:
    lease = timedelta(seconds=30)
    taken: list[int] = []

    def during(job: Job) -> None:
        for _ in range(4):  # 40 s, more than the lease, renewed every 10 s
            w.clock.advance(seconds=10)
            w.worker.beat()
            taken.append(len(w.runner("b", lease=lease).run_once()))

    w = World(during)
    w.add_noop("slow")
    w.clock.advance(minutes=5)
    w.runner("a", lease=lease).run_once()
    assert taken == [0, 0, 0, 0]
    assert w.noop.runs == ["slow"]
    assert w.job("slow").last_status is JobStatus.OK


def test_stop_releases_the_rest_of_a_claimed_batch() -> None:
    stop = FakeStop()
    w = World(lambda job: stop.set())
    for name in ("j1", "j2", "j3"):
        w.add_noop(name)
    w.clock.advance(minutes=5)
    outcomes = w.runner().run_once(stop)
    assert w.noop.runs == ["j1"]
    assert outcomes[1:] == [None, None]
    assert w.job("j2").lease_owner is None
    assert w.job("j2").next_run <= w.clock.now()  # still due: the next runner takes it
    assert "released j3: stopping" in w.events.lines


def test_a_job_still_running_after_the_grace_period_is_released() -> None:
    stop = FakeStop()
    w = World(lambda job: stop.set())
    w.worker.outlives_grace = True
    w.add_noop("stuck")
    w.clock.advance(minutes=5)
    outcomes = w.runner(grace=0.2).run_once(stop)
    assert outcomes == [None]
    job = w.job("stuck")
    assert job.lease_owner is None
    assert job.last_status is None
    assert job.next_run <= w.clock.now()  # still due: the next runner takes it
    assert w.events.lines[-1] == "released stuck: still running 0.2 s after stop"


def test_a_job_that_ends_within_the_grace_period_is_recorded() -> None:
    stop = FakeStop()
    w = World(lambda job: stop.set())
    w.add_noop("quick")
    w.clock.advance(minutes=5)
    w.runner(grace=2).run_once(stop)
    assert w.job("quick").last_status is JobStatus.OK


def test_a_job_whose_lease_was_taken_while_its_batch_ran_is_not_started() -> None:
    def slow(job: Job) -> None:  # the first job outlasts the lease; b takes the other
        w.clock.advance(seconds=31)
        other = "j2" if job.name == "j1" else "j1"
        assert w.store.claim(other, "b", w.clock.now(), timedelta(seconds=30)) is not None

    w = World(slow)
    for name in ("j1", "j2"):
        w.add_noop(name)
    w.clock.advance(minutes=5)
    w.runner("a").run_once()
    [ran] = w.noop.runs
    other = "j2" if ran == "j1" else "j1"
    assert w.events.lines[-1] == f"released {other}: lease lost before start"
    assert w.job(other).lease_owner == "b"


def test_run_now_makes_a_job_due_or_runs_it_inline() -> None:
    w = World()
    w.add_noop("now")
    run = RunJobNow(uow=w.uow, clock=w.clock, runner=w.runner())
    assert run(RunJobNowCommand(name="now")) is None
    assert w.job("now").next_run == w.clock.now()
    outcome = run(RunJobNowCommand(name="now", inline=True))
    assert outcome is not None
    assert outcome.status is JobStatus.OK
    assert w.noop.runs == ["now"]
    with pytest.raises(NotFound, match="job 'ghost' does not exist"):
        run(RunJobNowCommand(name="ghost"))
    DisableJob(uow=w.uow, clock=w.clock)("now")
    with pytest.raises(Conflict, match="job 'now' is disabled: enable it, or run it once"):
        run(RunJobNowCommand(name="now"))
    assert run(RunJobNowCommand(name="now", inline=True)) is not None  # the CLI may


def test_run_now_inline_refuses_a_job_another_runner_holds() -> None:
    w = World()
    w.add_noop("busy")
    w.store.claim("busy", "elsewhere", w.clock.now(), timedelta(seconds=30))
    run = RunJobNow(uow=w.uow, clock=w.clock, runner=w.runner())
    with pytest.raises(Conflict, match="running elsewhere"):
        run(RunJobNowCommand(name="busy", inline=True))
    assert w.noop.runs == []


def test_a_removed_job_is_gone() -> None:
    w = World()
    w.add_noop("old")
    RemoveJob(uow=w.uow, clock=w.clock)("old")
    assert ListJobs(uow=w.uow)() == []
    with pytest.raises(NotFound):
        RemoveJob(uow=w.uow, clock=w.clock)("old")


def test_a_playbook_job_without_automation_fails_saying_so() -> None:
    w = World()
    w.add(AddJobCommand(name="ping", kind="playbook", every="1h", params={"playbook": "ping"}))
    w.clock.advance(hours=1)
    w.runner().run_once()
    job = w.job("ping")
    assert job.last_status is JobStatus.FAILED
    assert job.last_error == "automation not configured: this aiops cannot run playbooks"


class RecordingPlaybooks:
    """A ScheduledPlaybooks that refuses the playbook 'nope' and records what it runs."""

    def __init__(self) -> None:
        self.ran: list[Mapping[str, Any]] = []

    def check(self, params: Mapping[str, Any]) -> None:
        if params["playbook"] == "nope":
            raise ValidationError("playbook", "'nope' is not on the allowlist")

    def __call__(self, params: Mapping[str, Any]) -> str:
        self.ran.append(params)
        return "ok=1"


def test_a_plugged_in_playbook_runner_gets_the_checked_params() -> None:
    playbooks = RecordingPlaybooks()
    handler = PlaybookJob(playbooks)
    params = handler.check({"playbook": "ping", "check": True, "extra_vars": {"a": 1}})
    job = Job(name="p", kind="playbook", schedule=attrs.evolve(_schedule()), params=params,
              next_run=FakeClock().now())  # fmt: skip
    assert handler(job) == "ok=1"
    assert playbooks.ran == [{"playbook": "ping", "check": True, "extra_vars": {"a": 1}}]


def test_a_playbook_job_the_automation_refuses_is_not_added() -> None:
    with pytest.raises(ValidationError, match="allowlist"):
        PlaybookJob(RecordingPlaybooks()).check({"playbook": "nope"})


def test_a_job_whose_kind_this_runner_lacks_fails_and_the_runner_goes_on() -> None:
    w = World()
    w.add_noop("orphan")
    w.add_noop("fine")
    del w.handlers["noop"]
    w.handlers["other"] = w.noop
    w.uow.committed.jobs = {
        i: (attrs.evolve(j, kind="other") if j.name == "fine" else j)
        for i, j in w.uow.committed.jobs.items()
    }
    w.clock.advance(minutes=5)
    w.runner().run_once()
    assert w.job("orphan").last_error == "no handler for job kind 'noop' in this runner"
    assert w.job("fine").last_status is JobStatus.OK


def _schedule() -> Any:
    return Schedule(every_seconds=60)


def test_run_now_while_the_job_runs_is_kept_so_it_runs_again_next() -> None:
    requested = []

    def ask_again(job: Job) -> None:
        w.clock.advance(seconds=10)
        RunJobNow(uow=w.uow, clock=w.clock, runner=w.runner())(RunJobNowCommand(name=job.name))
        requested.append(w.clock.now())

    w = World(during=ask_again)
    w.add_noop("busy", every="1h")
    w.add_noop("calm", every="1h")
    w.handlers["noop"] = Noop(lambda job: ask_again(job) if job.name == "busy" else None)
    w.clock.advance(hours=1)
    w.runner().run_once()

    assert w.job("busy").next_run == requested[0]  # not the hour after: it was asked for
    assert w.job("calm").next_run > w.clock.now() + timedelta(minutes=59)


# --- the runner's pure decisions ------------------------------------------------------------

START = FakeClock().now()


@given(lease=st.integers(3, 3600), age=st.integers(0, 7200))
def test_a_claim_is_stale_once_it_is_a_third_of_the_lease_old(lease: int, age: int) -> None:
    claimed_at = START
    stale = lease_is_stale(claimed_at, START + timedelta(seconds=age), timedelta(seconds=lease))
    assert stale == (age * 3 >= lease)


@given(every=st.integers(1, 86_400), took=st.integers(0, 3 * 86_400))
def test_the_next_run_follows_the_start_unless_the_run_outlasted_the_interval(
    every: int, took: int
) -> None:
    schedule = Schedule(every_seconds=every)
    started, ended = START, START + timedelta(seconds=took)
    next_run = next_run_after(schedule, started, ended)
    assert next_run > ended  # never in the past: no catching up
    if took < every:
        assert next_run == started + timedelta(seconds=every)
    else:
        assert next_run == ended + timedelta(seconds=every)


@given(summary=st.text(max_size=20), error=st.none() | st.text(max_size=20))
def test_a_job_outcome_fails_exactly_when_there_is_an_error(
    summary: str, error: str | None
) -> None:
    outcome = job_outcome(START, START + timedelta(seconds=2), summary, error)
    assert (outcome.status is JobStatus.FAILED) == (error is not None)
    assert (outcome.summary, outcome.error, outcome.duration) == (summary, error, 2)


class Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return dict(params)

    def __call__(self, job: Job) -> str:
        raise self.error


def test_a_handler_gives_its_summary_or_the_message_of_what_went_wrong() -> None:
    job = Job(name="j", kind="noop", schedule=Schedule(every_seconds=60), next_run=START)
    assert run_handler({"noop": Noop()}, job) == ("nothing done", None)
    assert run_handler({"noop": Raising(DomainError("no route"))}, job) == ("", "no route")
    assert run_handler({"noop": Raising(KeyError("x" * 3000))}, job) == (
        "",
        ("unexpected error: KeyError: '" + "x" * 3000)[:2000],
    )
    assert run_handler({}, job) == ("", "no handler for job kind 'noop' in this runner")
