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

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta

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
    secret_values,
    secret_var_names,
)
from aiops.domain.model.identities import identity_name
from aiops.domain.model.playbook_vars import check_declared
from aiops.domain.usecases._audit import record
from aiops.domain.usecases.lost_runs import SettleLostRuns
from aiops.domain.usecases.run_journal import require_run
from aiops.ports.automation import PlaybookCatalogue, PlaybookLaunch, PlaybookRunner, RunOutcome
from aiops.ports.clock import Clock
from aiops.ports.run_recording import RunRecorders, RunRecording
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


def require_viewer(actor: Actor) -> None:
    if not actor.manages_some_tenant:
        raise PermissionDenied("only admins and tenant owners may see automation runs")


class ListPlaybooks:
    """The allowlisted playbooks whose files are present, in allowlist order."""

    def __init__(self, *, catalogue: PlaybookCatalogue, policy: AutomationPolicy) -> None:
        self._catalogue = catalogue
        self._policy = policy

    def __call__(self, *, actor: Actor = SYSTEM) -> list[Playbook]:
        require_viewer(actor)
        present = {playbook.name: playbook for playbook in self._catalogue.playbooks()}
        return [present[name] for name in self._policy.playbooks if name in present]


class ListInventories:
    def __init__(self, *, catalogue: PlaybookCatalogue) -> None:
        self._catalogue = catalogue

    def __call__(self, *, actor: Actor = SYSTEM) -> list[str]:
        require_viewer(actor)
        return sorted(self._catalogue.inventories())


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
class CheckedRun:
    """A RunPlaybookCommand once every check has passed: what is stored and launched."""

    playbook: str
    inventory: str
    limit: str | None
    tags: str | None
    check: bool
    variables: Mapping[str, JsonValue] = attrs.field(repr=False)
    secret: frozenset[str]
    identity: str | None
    private_key_path: str | None
    actor: Actor


def allowlisted_playbook(
    name: str, allowlist: Sequence[str], present: Sequence[Playbook]
) -> Playbook:
    """The playbook `name` when it is on the allowlist and its file is present."""
    if name not in allowlist:
        allowed = ", ".join(allowlist) or "none"
        raise AutomationRefused(
            f"playbook {name!r} is not on the allowlist (AIOPS_PLAYBOOKS: {allowed})"
        )
    found = {playbook.name: playbook for playbook in present}
    if name not in found:
        raise AutomationRefused(f"playbook {name!r} is allowlisted but its file is missing")
    return found[name]


def known_inventory(name: str, known: Collection[str]) -> str:
    inventory = inventory_name(name)
    if inventory not in known:
        raise AutomationRefused(
            f"inventory: {inventory!r} is not a known inventory (known: {', '.join(sorted(known))})"
        )
    return inventory


def given_variables(
    given: str | Mapping[str, JsonValue] | None, playbook: Playbook
) -> dict[str, JsonValue]:
    """The extra vars given (text or a mapping), plain values the playbook declares."""
    variables = extra_vars(dict(given)) if isinstance(given, Mapping) else parse_extra_vars(given)
    check_declared(variables, playbook.variables, playbook.name)
    return variables


def new_run(checked: CheckedRun, *, runner: str, now: datetime) -> AutomationRun:
    """The run as first stored: queued, its secret extra vars masked, its runner seen now."""
    return AutomationRun(
        playbook=checked.playbook,
        inventory=checked.inventory,
        limit=checked.limit,
        tags=checked.tags,
        check=checked.check,
        extra_vars=masked(checked.variables, checked.secret),
        identity=checked.identity,
        started_by=checked.actor.name,
        queued_at=now,
        runner=runner,
        runner_seen_at=now,
    )


def launch_of(run_id: int, checked: CheckedRun, timeout_seconds: int) -> PlaybookLaunch:
    """What the runner is given: the real extra vars, secret ones included."""
    return PlaybookLaunch(
        run_id=run_id,
        playbook=checked.playbook,
        inventory=checked.inventory,
        limit=checked.limit,
        tags=checked.tags,
        check=checked.check,
        extra_vars=checked.variables,
        private_key_path=checked.private_key_path,
        timeout_seconds=timeout_seconds,
    )


class RunPlaybook:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        runner: PlaybookRunner,
        catalogue: PlaybookCatalogue,
        processes: RunnerProcesses,  # who runs a run
        recorders: RunRecorders,
        policy: AutomationPolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._runner = runner
        self._catalogue = catalogue
        self._processes = processes
        self._recorders = recorders
        self._policy = policy

    def __call__(self, cmd: RunPlaybookCommand) -> AutomationRun:
        checked = self.check(cmd)
        run_id = self._store(new_run(checked, runner=self._processes.me(), now=self._clock.now()))
        secrets = secret_values(checked.variables, checked.secret)
        recording = self._recorders.open(run_id, secrets=secrets, on_event=cmd.on_event)
        try:
            self._runner.start(launch_of(run_id, checked, self._policy.timeout_seconds), recording)
        except OSError as error:
            recording.finished(RunOutcome(status=RunStatus.FAILED, rc=None))
            raise AutomationRefused(f"the run could not start: {error.strerror}") from None
        if cmd.wait:
            self._wait(run_id, recording)
        with self._uow(read_only=True) as uow:
            return require_run(uow, run_id)

    def check(self, cmd: RunPlaybookCommand) -> CheckedRun:
        """Every refusal, before anything is stored or started."""
        cmd.actor.require_admin()
        policy = self._policy
        name = playbook_name(cmd.playbook)
        playbook = allowlisted_playbook(name, policy.playbooks, self._catalogue.playbooks())
        inventory = known_inventory(
            cmd.inventory or policy.default_inventory, self._catalogue.inventories()
        )
        variables = given_variables(cmd.extra_vars, playbook)
        identity, key_path = self._identity(cmd.identity, inventory)
        return CheckedRun(
            playbook=name,
            inventory=inventory,
            limit=host_limit(cmd.limit),
            tags=run_tags(cmd.tags),
            check=cmd.check,
            variables=variables,
            secret=frozenset(secret_var_names(variables, cmd.secret_vars)),
            identity=identity,
            private_key_path=key_path,
            actor=cmd.actor,
        )

    def _store(self, run: AutomationRun) -> int:
        with self._uow() as uow:
            run = uow.automation_runs.add(run)
            assert run.id is not None
            record(uow, self._clock, actor=run.started_by, action="automation.started",
                   target=f"run:{run.id}", playbook=run.playbook, inventory=run.inventory,
                   check=run.check)  # fmt: skip
            uow.commit()
        return run.id

    def _wait(self, run_id: int, recording: RunRecording) -> None:
        try:
            self._runner.wait(run_id)
        except KeyboardInterrupt:  # Ctrl-C in the terminal that waits: stop the run too
            self._runner.cancel(run_id)
            self._runner.wait(run_id, 30)
            recording.wait(30)
            raise
        recording.wait()

    def _identity(self, name: str | None, inventory: str) -> tuple[str | None, str | None]:
        """The SSH identity named, else the one of a project whose inventory this is."""
        with self._uow(read_only=True) as uow:
            if name is not None:
                return named_identity(uow, name)
            slugs = {s for s, inv in self._policy.project_inventories.items() if inv == inventory}
            for project in uow.projects.list() if slugs else ():
                if project.slug in slugs and project.identity_id is not None:
                    identity = uow.identities.get(project.identity_id)
                    if identity is not None and identity.private_key_path is not None:
                        return identity.name, identity.private_key_path
        return None, None


def named_identity(uow: UnitOfWork, name: str) -> tuple[str, str]:
    """The identity `name` and its private key's path; refused when either is missing."""
    identity = uow.identities.get_by_name(identity_name(name, field="identity"))
    if identity is None:
        raise AutomationRefused(f"identity: {name!r} does not exist")
    if identity.private_key_path is None:
        raise AutomationRefused(
            f"identity: {name!r} has no private key here (import one with `aiops seed-identities`)"
        )
    return identity.name, identity.private_key_path


class ListRuns:
    def __init__(self, *, uow: UnitOfWorkFactory, settle: SettleLostRuns) -> None:
        self._uow = uow
        self._settle = settle

    def __call__(self, *, limit: int = 50, actor: Actor = SYSTEM) -> Sequence[AutomationRun]:
        require_viewer(actor)
        with self._uow(read_only=True) as uow:
            runs = uow.automation_runs.list(limit=max(1, min(limit, 1000)))
        return self._settle(runs)


class ShowRun:
    def __init__(self, *, uow: UnitOfWorkFactory, settle: SettleLostRuns) -> None:
        self._uow = uow
        self._settle = settle

    def __call__(self, run_id: int, *, actor: Actor = SYSTEM) -> AutomationRun:
        require_viewer(actor)
        with self._uow(read_only=True) as uow:
            run = require_run(uow, run_id)
        return self._settle([run])[0]


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
    def __init__(self, *, uow: UnitOfWorkFactory, settle: SettleLostRuns) -> None:
        self._uow = uow
        self._settle = settle

    def __call__(
        self, run_id: int, *, after_seq: int = 0, limit: int = 1000, actor: Actor = SYSTEM
    ) -> RunEventsPage:
        require_viewer(actor)
        with self._uow(read_only=True) as uow:
            run = require_run(uow, run_id)  # read first: a finished run has stored every event
            events = uow.automation_runs.events(
                run_id, after_seq=max(0, after_seq), limit=max(1, min(limit, 10_000))
            )
        # a run whose runner has died is lost: it stores nothing more, so the page is complete
        return RunEventsPage(run=self._settle([run])[0], events=events)


class CancelRun:
    """Ask a run to stop: at once when this process runs it, else within about a second by the
    process that does (it polls the request)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        runner: PlaybookRunner,
        settle: SettleLostRuns,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._runner = runner
        self._settle = settle

    def __call__(self, run_id: int, *, actor: Actor = SYSTEM) -> AutomationRun:
        actor.require_admin()
        with self._uow(read_only=True) as uow:
            stored = require_run(uow, run_id)
        self._settle([stored])  # a lost run is failed: nobody is left to stop it
        with self._uow() as uow:
            run = require_run(uow, run_id)
            if run.status.finished:
                raise AutomationRefused(f"run {run_id} has already finished ({run.status.value})")
            run = uow.automation_runs.update(attrs.evolve(run, cancel_requested=True))
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="automation.cancel_requested",
                target=f"run:{run_id}",
                playbook=run.playbook,
            )
            uow.commit()
        self._runner.cancel(run_id)
        return run


class CancelLocalRuns:
    """When this process stops (the web server's shutdown): ask every run it runs to stop and
    wait for them, `grace_seconds` in all, so that no ansible is left running without the
    process that records it. The runs end as "cancelled"; the ids asked."""

    def __init__(
        self, *, runner: PlaybookRunner, clock: Clock, cancel: Callable[[], CancelRun]
    ) -> None:
        self._runner = runner
        self._clock = clock
        self._cancel = cancel

    def __call__(self, grace_seconds: float = 10.0) -> list[int]:
        asked = list(self._runner.running())
        for run_id in asked:
            try:
                self._cancel()(run_id)
            except (AutomationRefused, NotFound):
                continue  # it finished meanwhile
        deadline = self._clock.now() + timedelta(seconds=grace_seconds)
        for run_id in asked:
            left = (deadline - self._clock.now()).total_seconds()
            self._runner.wait(run_id, max(0.0, left))
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
