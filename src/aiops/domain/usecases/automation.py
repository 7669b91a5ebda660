"""Ansible automation: list the allowlisted playbooks, run one in the background, follow its
events, cancel it.

Who may: runs are global automation (they reach whole fleets), so only a global admin starts
or cancels one, as with the AI CLI installs and the tmux resync. Admins and tenant owners may
list playbooks and runs and read a run's events (owners pick what their projects need, as with
SSH identities); members and viewers may not (PermissionDenied).

Everything a user gives is checked before anything is stored or started: the playbook is a
name on the allowlist with its file present, the inventory a known name, the limit and tags
plain patterns, the extra vars a mapping of plain values. Secret extra vars (by name, or marked)
are masked in the stored run and scrubbed from every stored event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

import attrs

from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.automation import (
    AutomationRefused,
    AutomationRun,
    JsonValue,
    Playbook,
    RunEvent,
    RunStatus,
    extra_vars,
    host_limit,
    inventory_name,
    masked,
    parse_extra_vars,
    playbook_name,
    run_tags,
    scrub,
    secret_values,
    secret_var_names,
)
from aiops.domain.model.identities import identity_name
from aiops.domain.model.playbook_vars import check_declared
from aiops.domain.model.tenants import Role
from aiops.domain.usecases._audit import record
from aiops.domain.usecases.lost_runs import settle_lost
from aiops.ports.automation import (
    PlaybookCatalogue,
    PlaybookLaunch,
    PlaybookRunner,
    RunOutcome,
)
from aiops.ports.clock import Clock
from aiops.ports.runner_processes import RunnerProcesses
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

DEFAULT_PLAYBOOKS = ("ping", "ai-clis", "host-report")


@attrs.frozen(kw_only=True)
class AutomationPolicy:
    """What the settings say: the playbook allowlist, each project's inventory, the timeout."""

    playbooks: Sequence[str] = DEFAULT_PLAYBOOKS
    project_inventories: Mapping[str, str] = attrs.field(factory=dict)  # project slug -> name
    timeout_seconds: int = 3600
    default_inventory: str = "localhost"


@attrs.frozen(kw_only=True)
class AutomationPorts:
    uow: UnitOfWorkFactory
    clock: Clock
    runner: PlaybookRunner
    catalogue: PlaybookCatalogue
    processes: RunnerProcesses  # who runs a run; whether a runner has died
    policy: AutomationPolicy = attrs.field(factory=AutomationPolicy)
    batch_size: int = 500  # events stored per statement
    flush_seconds: float = 0.2  # events wait at most this long before they are stored
    cancel_poll_seconds: float = 1.0  # how often a run looks for a cancel from elsewhere
    # A run whose runner (on a host that cannot be asked) has not beaten for this long is
    # lost; a live runner beats every quarter of it (see lost_runs).
    lost_after_seconds: float = 120.0

    @property
    def heartbeat_seconds(self) -> float:
        return self.lost_after_seconds / 4


def require_viewer(actor: Actor) -> None:
    if not (actor.is_admin or Role.OWNER in actor.roles.values()):
        raise PermissionDenied("only admins and tenant owners may see automation runs")


def require_run(uow: UnitOfWork, run_id: int) -> AutomationRun:
    run = uow.automation_runs.get(run_id)
    if run is None:
        raise NotFound(f"run {run_id} does not exist: see `aiops runs list`")
    return run


class ListPlaybooks:
    """The allowlisted playbooks whose files are present, in allowlist order."""

    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self, *, actor: Actor = SYSTEM) -> list[Playbook]:
        require_viewer(actor)
        present = {playbook.name: playbook for playbook in self._p.catalogue.playbooks()}
        return [present[name] for name in self._p.policy.playbooks if name in present]


class ListInventories:
    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self, *, actor: Actor = SYSTEM) -> list[str]:
        require_viewer(actor)
        return sorted(self._p.catalogue.inventories())


@attrs.frozen(kw_only=True)
class RunPlaybookCommand:
    playbook: str
    inventory: str | None = None  # None: the default inventory (localhost)
    limit: str | None = None
    tags: str | None = None
    check: bool = False
    extra_vars: str | Mapping[str, JsonValue] | None = None  # JSON/YAML text or a mapping
    secret_vars: Collection[str] = ()  # names to treat as secret besides the secret-looking
    identity: str | None = None  # an SSH identity with a private key, for remote hosts
    actor: Actor = SYSTEM
    wait: bool = False  # return when the run has finished (the CLI), not when it has started
    on_event: Callable[[RunEvent], None] | None = None  # each event as stored (scrubbed)


@attrs.frozen(kw_only=True)
class _Checked:
    playbook: str
    inventory: str
    limit: str | None
    tags: str | None
    variables: Mapping[str, JsonValue]
    secret: frozenset[str]
    identity: str | None
    private_key_path: str | None


class RunPlaybook:
    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self, cmd: RunPlaybookCommand) -> AutomationRun:
        checked = self.check(cmd)
        now = self._p.clock.now()
        with self._p.uow() as uow:
            run = uow.automation_runs.add(
                AutomationRun(
                    playbook=checked.playbook,
                    inventory=checked.inventory,
                    limit=checked.limit,
                    tags=checked.tags,
                    check=cmd.check,
                    extra_vars=masked(checked.variables, checked.secret),
                    identity=checked.identity,
                    started_by=cmd.actor.name,
                    queued_at=now,
                    runner=self._p.processes.me(),
                    runner_seen_at=now,
                )
            )
            assert run.id is not None
            record(
                uow,
                self._p.clock,
                actor=cmd.actor.name,
                action="automation.started",
                target=f"run:{run.id}",
                playbook=run.playbook,
                inventory=run.inventory,
                check=run.check,
            )
            uow.commit()
        recorder = RunRecorder(
            ports=self._p,
            run_id=run.id,
            secrets=secret_values(checked.variables, checked.secret),
            on_event=cmd.on_event,
        )
        launch = PlaybookLaunch(
            run_id=run.id,
            playbook=checked.playbook,
            inventory=checked.inventory,
            limit=checked.limit,
            tags=checked.tags,
            check=cmd.check,
            extra_vars=checked.variables,
            private_key_path=checked.private_key_path,
            timeout_seconds=self._p.policy.timeout_seconds,
        )
        try:
            self._p.runner.start(launch, recorder)
        except OSError as error:
            recorder.finished(RunOutcome(status=RunStatus.FAILED, rc=None))
            raise AutomationRefused(f"the run could not start: {error.strerror}") from None
        if cmd.wait:
            try:
                self._p.runner.wait(run.id)
            except KeyboardInterrupt:  # Ctrl-C in the terminal that waits: stop the run too
                self._p.runner.cancel(run.id)
                self._p.runner.wait(run.id, 30)
                recorder.wait(30)
                raise
            recorder.wait()
        with self._p.uow(read_only=True) as uow:
            return require_run(uow, run.id)

    def check(self, cmd: RunPlaybookCommand) -> _Checked:
        """Every refusal, before anything is stored or started."""
        cmd.actor.require_admin()
        policy = self._p.policy
        name = playbook_name(cmd.playbook)
        if name not in policy.playbooks:
            allowed = ", ".join(policy.playbooks) or "none"
            raise AutomationRefused(
                f"playbook {name!r} is not on the allowlist (AIOPS_PLAYBOOKS: {allowed})"
            )
        found = {playbook.name: playbook for playbook in self._p.catalogue.playbooks()}
        if name not in found:
            raise AutomationRefused(f"playbook {name!r} is allowlisted but its file is missing")
        inventory = inventory_name(cmd.inventory or policy.default_inventory)
        known = self._p.catalogue.inventories()
        if inventory not in known:
            raise ValidationError(
                "inventory",
                f"{inventory!r} is not a known inventory (known: {', '.join(sorted(known))})",
            )
        variables = (
            extra_vars(dict(cmd.extra_vars))
            if isinstance(cmd.extra_vars, Mapping)
            else parse_extra_vars(cmd.extra_vars)
        )
        check_declared(variables, found[name].variables, name)
        identity, key_path = self._identity(cmd.identity, inventory)
        return _Checked(
            playbook=name,
            inventory=inventory,
            limit=host_limit(cmd.limit),
            tags=run_tags(cmd.tags),
            variables=variables,
            secret=frozenset(secret_var_names(variables, cmd.secret_vars)),
            identity=identity,
            private_key_path=key_path,
        )

    def _identity(self, name: str | None, inventory: str) -> tuple[str | None, str | None]:
        """The SSH identity named, else the one of a project whose inventory this is."""
        with self._p.uow(read_only=True) as uow:
            if name is not None:
                identity = uow.identities.get_by_name(identity_name(name, field="identity"))
                if identity is None:
                    raise ValidationError("identity", f"identity {name!r} does not exist")
                if identity.private_key_path is None:
                    raise ValidationError(
                        "identity",
                        f"identity {name!r} has no private key here (import one with "
                        "`aiops seed-identities`)",
                    )
                return identity.name, identity.private_key_path
            slugs = {s for s, inv in self._p.policy.project_inventories.items() if inv == inventory}
            for project in uow.projects.list() if slugs else ():
                if project.slug in slugs and project.identity_id is not None:
                    identity = uow.identities.get(project.identity_id)
                    if identity is not None and identity.private_key_path is not None:
                        return identity.name, identity.private_key_path
        return None, None


class RunRecorder:
    """The listener of one run: stores its events in batches (at most `batch_size` per
    statement, none waiting longer than `flush_seconds`), scrubbed of secret values, and the
    outcome at the end."""

    def __init__(
        self,
        *,
        ports: AutomationPorts,
        run_id: int,
        secrets: Sequence[str] = (),
        on_event: Callable[[RunEvent], None] | None = None,
    ) -> None:
        self._p = ports
        self._run_id = run_id
        self._secrets = secrets
        self._on_event = on_event
        self._pending: list[RunEvent] = []
        self._lock = threading.Lock()  # the pending list
        self._store = threading.Lock()  # one batch at a time, in order
        self._done = threading.Event()
        self._finished = threading.Event()
        self._last_poll: datetime | None = None
        self._last_beat = ports.clock.now()  # the run was stored with runner_seen_at = now
        self._flusher = threading.Thread(
            target=self._flush_often, name=f"run-{run_id}-events", daemon=True
        )
        self._flusher.start()

    def started(self) -> None:
        self._update(status=RunStatus.RUNNING, started_at=self._p.clock.now())

    def event(self, event: RunEvent) -> None:
        if self._secrets:
            event = attrs.evolve(
                event,
                stdout=scrub(event.stdout, self._secrets),
                task=scrub(event.task, self._secrets) if event.task else event.task,
            )
        if self._on_event is not None:
            self._on_event(event)
        with self._lock:
            self._pending.append(event)
            full = len(self._pending) >= self._p.batch_size
        if full:
            self.flush()

    def cancel_requested(self) -> bool:
        now = self._p.clock.now()
        if (
            self._last_poll
            and (now - self._last_poll).total_seconds() < self._p.cancel_poll_seconds
        ):
            return False
        self._last_poll = now
        with self._p.uow(read_only=True) as uow:
            run = uow.automation_runs.get(self._run_id)
            return run is not None and run.cancel_requested

    def finished(self, outcome: RunOutcome) -> None:
        try:
            self._finish(outcome)
        finally:
            self._finished.set()

    def _finish(self, outcome: RunOutcome) -> None:
        self._done.set()
        self.flush()
        run = self._update(
            status=outcome.status,
            rc=outcome.rc,
            summary=tuple(outcome.summary),
            ended_at=self._p.clock.now(),
            reason=None,  # the outcome tells; a "lost" from a host that lost sight of it does not
        )
        with self._p.uow() as uow:
            record(
                uow,
                self._p.clock,
                actor=run.started_by,
                action="automation.finished",
                target=f"run:{self._run_id}",
                playbook=run.playbook,
                status=run.status.value,
                rc=run.rc,
            )
            uow.commit()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the outcome is stored (True), or the timeout passed."""
        return self._finished.wait(timeout)

    def flush(self) -> None:
        with self._store:
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                with self._p.uow() as uow:
                    uow.automation_runs.add_events(batch)
                    uow.commit()

    def _flush_often(self) -> None:
        while not self._done.wait(self._p.flush_seconds):
            self.flush()
            self.beat()

    def beat(self) -> None:
        """The runner is alive: runner_seen_at, every heartbeat_seconds while the run runs, so
        that a host which cannot ask this one's /proc can tell when it died (lost_runs)."""
        now = self._p.clock.now()
        if (now - self._last_beat).total_seconds() < self._p.heartbeat_seconds:
            return
        with self._p.uow() as uow:
            uow.automation_runs.heartbeat(self._run_id, now)
            uow.commit()
        self._last_beat = now

    def _update(self, **changes: object) -> AutomationRun:
        with self._p.uow() as uow:
            run = attrs.evolve(require_run(uow, self._run_id), **changes)  # type: ignore[arg-type]
            uow.automation_runs.update(run)
            uow.commit()
        return run


def settle(ports: AutomationPorts, runs: Sequence[AutomationRun]) -> list[AutomationRun]:
    """The runs, those whose runner died marked failed (see lost_runs)."""
    return settle_lost(ports, runs)


class ListRuns:
    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self, *, limit: int = 50, actor: Actor = SYSTEM) -> Sequence[AutomationRun]:
        require_viewer(actor)
        with self._p.uow(read_only=True) as uow:
            runs = uow.automation_runs.list(limit=max(1, min(limit, 1000)))
        return settle(self._p, runs)


class ShowRun:
    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self, run_id: int, *, actor: Actor = SYSTEM) -> AutomationRun:
        require_viewer(actor)
        with self._p.uow(read_only=True) as uow:
            run = require_run(uow, run_id)
        return settle(self._p, [run])[0]


@attrs.frozen(kw_only=True)
class RunEventsPage:
    """The run as it was when the events were read, and its events after `after_seq`. When
    `run.status.finished` and `events` is shorter than the limit, there are no more."""

    run: AutomationRun
    events: Sequence[RunEvent]

    @property
    def last_seq(self) -> int | None:
        return self.events[-1].seq if self.events else None


class RunEvents:
    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(
        self, run_id: int, *, after_seq: int = 0, limit: int = 1000, actor: Actor = SYSTEM
    ) -> RunEventsPage:
        require_viewer(actor)
        with self._p.uow(read_only=True) as uow:
            run = require_run(uow, run_id)  # read first: a finished run has stored every event
            events = uow.automation_runs.events(
                run_id, after_seq=max(0, after_seq), limit=max(1, min(limit, 10_000))
            )
        # a run whose runner has died is lost: it stores nothing more, so the page is complete
        return RunEventsPage(run=settle(self._p, [run])[0], events=events)


class CancelRun:
    """Ask a run to stop: at once when this process runs it, else within about a second by the
    process that does (it polls the request)."""

    def __init__(self, *, ports: AutomationPorts) -> None:
        self._p = ports

    def __call__(self, run_id: int, *, actor: Actor = SYSTEM) -> AutomationRun:
        actor.require_admin()
        with self._p.uow(read_only=True) as uow:
            stored = require_run(uow, run_id)
        settle(self._p, [stored])  # a lost run is failed: nobody is left to stop it
        with self._p.uow() as uow:
            run = require_run(uow, run_id)
            if run.status.finished:
                raise AutomationRefused(f"run {run_id} has already finished ({run.status.value})")
            run = uow.automation_runs.update(attrs.evolve(run, cancel_requested=True))
            record(
                uow,
                self._p.clock,
                actor=actor.name,
                action="automation.cancel_requested",
                target=f"run:{run_id}",
                playbook=run.playbook,
            )
            uow.commit()
        self._p.runner.cancel(run_id)
        return run


class CancelLocalRuns:
    """When this process stops (the web server's shutdown): ask every run it runs to stop and
    wait for them, `grace_seconds` in all, so that no ansible is left running without the
    process that records it. The runs end as "cancelled"; the ids asked."""

    def __init__(self, *, ports: AutomationPorts, cancel: Callable[[], CancelRun]) -> None:
        self._p = ports
        self._cancel = cancel

    def __call__(self, grace_seconds: float = 10.0) -> list[int]:
        asked = list(self._p.runner.running())
        for run_id in asked:
            try:
                self._cancel()(run_id)
            except (AutomationRefused, NotFound):
                continue  # it finished meanwhile
        deadline = time.monotonic() + grace_seconds
        for run_id in asked:
            self._p.runner.wait(run_id, max(0.0, deadline - time.monotonic()))
        return asked


class ScheduledPlaybook:
    """A `playbook` job's run: RunPlaybook as the system, waited for, failing when the run does.

    A job's params are stored as they are (they are not secrets), so extra vars whose names
    look secret are refused when the job is added: a scheduled playbook reads its secrets
    elsewhere (an inventory's vault, a file on the host).
    """

    def __init__(self, *, run_playbook: Callable[[], RunPlaybook]) -> None:
        self._run_playbook = run_playbook

    def check(self, params: Mapping[str, JsonValue]) -> None:
        cmd = self._command(params)
        checked = self._run_playbook().check(cmd)
        if checked.secret:
            names = ", ".join(sorted(checked.secret))
            raise ValidationError(
                "extra_vars",
                f"{names}: a scheduled playbook's extra vars are stored with the job, so none "
                "may look secret (read secrets from a vault or a file on the host instead)",
            )

    def __call__(self, params: Mapping[str, JsonValue]) -> str:
        # RunPlaybook checks the run again; the params were checked when the job was added
        run = self._run_playbook()(attrs.evolve(self._command(params), wait=True))
        hosts = ", ".join(
            f"{h.host}: ok {h.ok}, changed {h.changed}, failed {h.failed}" for h in run.summary
        )
        outcome = f"run {run.id} {run.status.value} (rc {run.rc}){': ' + hosts if hosts else ''}"
        if run.status is not RunStatus.SUCCESSFUL:
            raise AutomationRefused(outcome)
        return outcome

    @staticmethod
    def _command(params: Mapping[str, JsonValue]) -> RunPlaybookCommand:
        def text(name: str) -> str | None:
            value = params.get(name)
            return value if isinstance(value, str) and value else None

        variables = params.get("extra_vars")
        return RunPlaybookCommand(
            playbook=str(params["playbook"]),
            inventory=text("inventory"),
            limit=text("limit"),
            tags=text("tags"),
            check=params.get("check") is True,
            extra_vars=variables if isinstance(variables, Mapping) else None,
            actor=SYSTEM,
        )
