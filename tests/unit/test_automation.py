"""The automation use cases against FakePlaybookRunner, FakePlaybookCatalogue and
FakeUnitOfWork: what is refused before anything is stored or started, what a run stores, how
secrets are masked and scrubbed, who may do what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.automation import (
    MASK,
    AutomationRefused,
    HostSummary,
    Playbook,
    RunEvent,
    RunStatus,
    parse_extra_vars,
    playbook_name,
)
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.playbook_vars import VarType
from aiops.domain.model.projects import Project
from aiops.domain.model.tenants import Role, Tenant
from aiops.domain.usecases.automation import (
    AutomationPolicy,
    CancelLocalRuns,
    CancelRun,
    CheckedRun,
    ListPlaybooks,
    ListRuns,
    RunEvents,
    RunPlaybook,
    RunPlaybookCommand,
    ShowRun,
    allowlisted_playbook,
    given_variables,
    known_inventory,
    launch_of,
    new_run,
)
from aiops.domain.usecases.lost_runs import ReconcileRuns, SettleLostRuns
from aiops.ports.automation import RunOutcome
from tests.fakes import (
    FakeClock,
    FakePlaybookCatalogue,
    FakePlaybookRunner,
    FakeRunnerProcesses,
    FakeRunRecorders,
    FakeUnitOfWork,
)

ADMIN = Actor(name="ada", user_id=1, is_admin=True)
OWNER = Actor(name="olga", user_id=2, roles={1: Role.OWNER})
MEMBER = Actor(name="max", user_id=3, roles={1: Role.MEMBER})
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ3c3V0aWNrbGVzc3NlY3JldGtleWZvcnRlc3Rz deploy"


class World:
    """The automation use cases over fakes; each property builds the use case afresh, so a
    test may change a setting (lost_after_seconds) between calls."""

    def __init__(self, **policy: object) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.runner = FakePlaybookRunner()
        self.catalogue = FakePlaybookCatalogue(
            inventories=("localhost", "fleet"),
            variables={"ping": dict.fromkeys(("db_password", "region", "motd"), VarType.STR)},
        )
        self.processes = FakeRunnerProcesses()
        self.policy = AutomationPolicy(**policy)  # type: ignore[arg-type]
        self.recorders = FakeRunRecorders(uow=self.uow, clock=self.clock, batch_size=3)
        self.lost_after_seconds = 120.0

    @property
    def settle(self) -> SettleLostRuns:
        return SettleLostRuns(
            uow=self.uow,
            clock=self.clock,
            processes=self.processes,
            lost_after_seconds=self.lost_after_seconds,
        )

    @property
    def run_playbook(self) -> RunPlaybook:
        return RunPlaybook(
            uow=self.uow,
            clock=self.clock,
            runner=self.runner,
            catalogue=self.catalogue,
            processes=self.processes,
            recorders=self.recorders,
            policy=self.policy,
        )

    @property
    def list_playbooks(self) -> ListPlaybooks:
        return ListPlaybooks(catalogue=self.catalogue, policy=self.policy)

    @property
    def list_runs(self) -> ListRuns:
        return ListRuns(uow=self.uow, settle=self.settle)

    @property
    def show_run(self) -> ShowRun:
        return ShowRun(uow=self.uow, settle=self.settle)

    @property
    def run_events(self) -> RunEvents:
        return RunEvents(uow=self.uow, settle=self.settle)

    @property
    def cancel_run(self) -> CancelRun:
        return CancelRun(uow=self.uow, clock=self.clock, runner=self.runner, settle=self.settle)

    @property
    def reconcile_runs(self) -> ReconcileRuns:
        return ReconcileRuns(uow=self.uow, settle=self.settle)

    def run(self, **fields: object) -> int:
        values: dict[str, object] = {"playbook": "ping", "actor": ADMIN}
        run = self.run_playbook(RunPlaybookCommand(**(values | fields)))  # type: ignore[arg-type]
        assert run.id is not None
        return run.id

    def nothing_happened(self) -> bool:
        state = self.uow.committed
        return not state.automation_runs and not state.audit and not self.runner.launches


def event(run_id: int, seq: int, stdout: str = "", **fields: object) -> RunEvent:
    return RunEvent(run_id=run_id, seq=seq, event="runner_on_ok", stdout=stdout, **fields)  # type: ignore[arg-type]


def test_a_run_is_stored_then_started_with_the_checked_input() -> None:
    world = World()
    run_id = world.run(inventory="fleet", limit=" web,&prod ", tags="a, b", check=True)
    launch = world.runner.launches[run_id]
    assert (launch.playbook, launch.inventory, launch.limit, launch.tags, launch.check) == (
        "ping",
        "fleet",
        "web,&prod",
        "a,b",
        True,
    )
    run = world.uow.committed.automation_runs[run_id]
    assert run.status is RunStatus.RUNNING
    assert run.started_by == "ada"
    assert [e.action for e in world.uow.committed.audit] == ["automation.started"]


def test_the_inventory_defaults_to_localhost() -> None:
    world = World()
    run_id = world.run()
    assert world.runner.launches[run_id].inventory == "localhost"


def test_events_are_stored_in_batches_and_read_after_a_seq() -> None:
    world = World()
    run_id = world.run()
    world.runner.emit(run_id, *(event(run_id, seq, f"line {seq}") for seq in range(1, 8)))
    stored = sorted(seq for (_, seq) in world.uow.committed.run_events)
    assert stored == [1, 2, 3, 4, 5, 6]  # two full batches of 3; the 7th waits
    summary = (HostSummary(host="localhost", ok=7),)
    world.runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0, summary=summary))
    page = world.run_events(run_id, after_seq=5, actor=OWNER)
    assert [e.seq for e in page.events] == [6, 7]
    assert page.last_seq == 7
    assert page.run.status is RunStatus.SUCCESSFUL
    assert page.run.summary == summary
    assert page.run.rc == 0
    assert page.run.ended_at is not None
    actions = [e.action for e in world.uow.committed.audit]
    assert actions == ["automation.started", "automation.finished"]


def test_secret_extra_vars_are_masked_in_the_run_and_scrubbed_from_events() -> None:
    world = World()
    run_id = world.run(
        extra_vars='{"db_password": "hunter2-canary", "region": "eu", "motd": "s3cr3t-motd"}',
        secret_vars=["motd"],
    )
    launch = world.runner.launches[run_id]
    assert launch.extra_vars["db_password"] == "hunter2-canary"  # the runner gets the value
    assert world.uow.committed.automation_runs[run_id].extra_vars == {
        "db_password": MASK,
        "region": "eu",
        "motd": MASK,
    }
    world.runner.emit(run_id, event(run_id, 1, "pw hunter2-canary and s3cr3t-motd in eu"))
    world.runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    [stored] = world.uow.committed.run_events.values()
    assert stored.stdout == f"pw {MASK} and {MASK} in eu"
    assert "hunter2" not in repr(launch)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"playbook": "../etc/passwd"}, ValidationError),
        ({"playbook": "/abs/ping"}, ValidationError),
        ({"playbook": "-ping"}, ValidationError),
        ({"playbook": "ping.yml"}, ValidationError),
        ({"playbook": "Ping"}, ValidationError),
        ({"playbook": "deploy"}, AutomationRefused),  # not allowlisted
        ({"inventory": "nowhere"}, AutomationRefused),  # a valid name this server lacks
        ({"inventory": "../inventory/localhost"}, ValidationError),
        ({"extra_vars": "{not json: [", "playbook": "ping"}, ValidationError),
        ({"extra_vars": "[1, 2]"}, ValidationError),
        ({"extra_vars": '{"ansible_connection": "ssh"}'}, ValidationError),
        ({"extra_vars": '{"bad name": 1}'}, ValidationError),
        ({"extra_vars": "when: 2026-01-01"}, ValidationError),  # a YAML date, not plain
        ({"extra_vars": "ai_cli_npm: /tmp/evil"}, ValidationError),  # not declared by ping
        ({"extra_vars": "region: [eu]"}, ValidationError),  # declared a str
        ({"extra_vars": "region: 1"}, ValidationError),
        ({"limit": "--become"}, ValidationError),
        ({"limit": "web; rm -rf /"}, ValidationError),
        ({"tags": "-x"}, ValidationError),
        ({"identity": "nobody"}, AutomationRefused),  # a valid name: no such identity
        ({"actor": OWNER}, PermissionDenied),
    ],
)
def test_bad_input_is_refused_before_anything_is_stored_or_started(
    fields: dict[str, object], error: type[Exception]
) -> None:
    world = World()
    with pytest.raises(error):
        world.run(**fields)
    assert world.nothing_happened()


def test_an_allowlisted_playbook_whose_file_is_missing_is_refused() -> None:
    world = World(playbooks=("ping", "gone"))
    with pytest.raises(AutomationRefused, match="missing"):
        world.run(playbook="gone")
    assert world.nothing_happened()


def test_a_run_that_cannot_start_ends_failed() -> None:
    world = World()
    world.runner.fail_to_start = True
    with pytest.raises(AutomationRefused, match="could not start"):
        world.run()
    [run] = world.uow.committed.automation_runs.values()
    assert run.status is RunStatus.FAILED


def test_yaml_extra_vars_are_accepted() -> None:
    assert parse_extra_vars("tools: [codex, gemini]\ncount: 2\n") == {
        "tools": ["codex", "gemini"],
        "count": 2,
    }
    assert parse_extra_vars("  ") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [*a]", "aliases"),  # a value that contains itself
        ("x: &x [1, 2]\ny: [*x, *x]", "aliases"),  # each level multiplies the one before
        ("a: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("[" * 30000, "nested too deeply"),
    ],
)
def test_extra_vars_that_would_blow_up_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_extra_vars(text)


@given(st.text(max_size=80))
def test_a_playbook_name_is_never_a_path(value: str) -> None:
    try:
        name = playbook_name(value)
    except ValidationError:
        return
    assert "/" not in name
    assert ".." not in name
    assert not name.startswith("-")


def test_a_project_inventory_runs_with_the_projects_identity() -> None:
    world = World(project_inventories={"web": "fleet"})
    with world.uow as uow:
        tenant = uow.tenants.add(Tenant(slug="acme", name="Acme"))
        assert tenant.id is not None
        identity = uow.identities.add(
            SshIdentity(
                name="deploy",
                public_key=PUBLIC_KEY,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                private_key_path="/instance/keys/deploy",
            )
        )
        uow.projects.add(
            Project(tenant_id=tenant.id, slug="web", name="Web", identity_id=identity.id)
        )
        uow.commit()
    run_id = world.run(inventory="fleet")
    assert world.runner.launches[run_id].private_key_path == "/instance/keys/deploy"
    assert world.uow.committed.automation_runs[run_id].identity == "deploy"
    other = world.run(inventory="localhost")
    assert world.runner.launches[other].private_key_path is None


def test_cancel_marks_the_request_and_stops_a_local_run() -> None:
    world = World()
    run_id = world.run()
    world.cancel_run(run_id, actor=ADMIN)
    assert world.runner.cancelled == [run_id]
    assert world.uow.committed.automation_runs[run_id].cancel_requested
    listener = world.runner.listeners[run_id]
    assert listener.cancel_requested()
    world.runner.finish(run_id, RunOutcome(status=RunStatus.CANCELLED, rc=254))
    with pytest.raises(AutomationRefused, match="already finished"):
        world.cancel_run(run_id, actor=ADMIN)


def test_only_admins_run_and_cancel_and_owners_may_look() -> None:
    world = World()
    run_id = world.run()
    with pytest.raises(PermissionDenied):
        world.cancel_run(run_id, actor=OWNER)
    assert [r.id for r in world.list_runs(actor=OWNER)] == [run_id]
    assert world.show_run(run_id, actor=OWNER).id == run_id
    assert [p.name for p in world.list_playbooks(actor=OWNER)] == [
        "ping",
        "ai-clis",
        "host-report",
    ]
    for use_case in (world.list_runs, world.list_playbooks):
        with pytest.raises(PermissionDenied):
            use_case(actor=MEMBER)
    with pytest.raises(PermissionDenied):
        world.run_events(run_id, actor=MEMBER)
    with pytest.raises(NotFound):
        world.show_run(run_id + 100, actor=ADMIN)
    assert len(world.uow.committed.audit) == 1
    assert world.uow.committed.audit[0].action == "automation.started"


def test_settings_refuse_a_path_in_the_playbook_allowlist() -> None:
    from aiops.config import ConfigError, load_settings

    assert load_settings(playbooks="ping, host-report").playbook_list == ("ping", "host-report")
    with pytest.raises(ConfigError, match="AIOPS_PLAYBOOKS"):
        load_settings(playbooks="ping,../../etc/evil")
    with pytest.raises(ConfigError, match="AIOPS_PROJECT_INVENTORIES"):
        load_settings(project_inventories={"web": "../inv"})
    with pytest.raises(ConfigError, match="AIOPS_PLAYBOOK_TIMEOUT"):
        load_settings(playbook_timeout=0)


def test_only_declared_extra_vars_of_their_type_reach_the_runner() -> None:
    world = World()

    with pytest.raises(ValidationError) as unknown:
        world.run(extra_vars={"ai_cli_npm": "/tmp/evil"})
    with pytest.raises(ValidationError) as typed:
        world.run(extra_vars={"region": ["eu"]})
    run_id = world.run(extra_vars={"region": "{{ lookup('pipe', 'id') }}"})

    assert str(unknown.value) == (
        "extra_vars: 'ai_cli_npm' is not an extra var of playbook 'ping' "
        "(it takes: db_password (str), motd (str), region (str))"
    )
    assert str(typed.value) == "extra_vars: 'region' must be a str for playbook 'ping'"
    assert world.runner.launches[run_id].extra_vars == {"region": "{{ lookup('pipe', 'id') }}"}


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (VarType.STR, "x", 1),
        (VarType.INT, 3, True),
        (VarType.FLOAT, 1, "1.5"),
        (VarType.BOOL, False, 0),
        (VarType.LIST_STR, ["a"], ["a", 1]),
        (VarType.LIST_INT, [1, 2], [1.5]),
    ],
)
def test_each_declared_type_accepts_its_values_only(
    kind: VarType, good: object, bad: object
) -> None:
    assert kind.accepts(good)
    assert not kind.accepts(bad)


# --- RunPlaybook's pure decisions -----------------------------------------------------------

names = st.sampled_from(["ping", "ai-clis", "host-report", "deploy", "gone"])


@given(name=names, allowlist=st.lists(names, unique=True), present=st.lists(names, unique=True))
def test_a_playbook_runs_only_when_allowlisted_and_present(
    name: str, allowlist: list[str], present: list[str]
) -> None:
    playbooks = [Playbook(name=n, description=n.upper()) for n in present]
    if name not in allowlist:
        with pytest.raises(AutomationRefused, match="not on the allowlist"):
            allowlisted_playbook(name, allowlist, playbooks)
    elif name not in present:
        with pytest.raises(AutomationRefused, match="its file is missing"):
            allowlisted_playbook(name, allowlist, playbooks)
    else:
        found = allowlisted_playbook(name, allowlist, playbooks)
        assert (found.name, found.description) == (name, name.upper())


@given(name=st.sampled_from(["localhost", "fleet", "web"]), known=st.sets(st.just("fleet")))
def test_an_inventory_must_be_a_known_name(name: str, known: set[str]) -> None:
    if name in known:
        assert known_inventory(name, known) == name
    else:
        with pytest.raises(AutomationRefused, match="is not a known inventory"):
            known_inventory(name, known)


def test_extra_vars_given_as_text_or_a_mapping_come_out_alike_and_declared() -> None:
    playbook = Playbook(name="ping", description="", variables={"region": VarType.STR})
    assert given_variables("region: eu", playbook) == {"region": "eu"}
    assert given_variables({"region": "eu"}, playbook) == {"region": "eu"}
    assert given_variables(None, playbook) == {}
    with pytest.raises(ValidationError, match="not an extra var of playbook 'ping'"):
        given_variables({"motd": "hi"}, playbook)


def checked_run(**fields: object) -> CheckedRun:
    values: dict[str, object] = {
        "playbook": "ping", "inventory": "fleet", "limit": "web", "tags": "a", "check": True,
        "variables": {"db_password": "hunter2", "region": "eu"},
        "secret": frozenset({"db_password"}), "identity": "deploy",
        "private_key_path": "/keys/deploy", "actor": ADMIN,
    }  # fmt: skip
    return CheckedRun(**(values | fields))  # type: ignore[arg-type]


def test_a_new_run_is_queued_with_its_secrets_masked_and_its_runner_seen_now() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    run = new_run(checked_run(), runner="here:1", now=now)
    assert run.status is RunStatus.QUEUED
    assert run.extra_vars == {"db_password": MASK, "region": "eu"}
    assert (run.runner, run.runner_seen_at, run.queued_at, run.started_by) == (
        "here:1",
        now,
        now,
        "ada",
    )
    assert (run.playbook, run.inventory, run.limit, run.tags, run.check, run.identity) == (
        "ping",
        "fleet",
        "web",
        "a",
        True,
        "deploy",
    )


def test_a_launch_carries_the_real_values_and_the_key_but_never_shows_them() -> None:
    launch = launch_of(7, checked_run(), timeout_seconds=60)
    assert launch.extra_vars == {"db_password": "hunter2", "region": "eu"}
    assert (launch.run_id, launch.private_key_path, launch.timeout_seconds) == (
        7,
        "/keys/deploy",
        60,
    )
    assert "hunter2" not in repr(launch)
    assert "hunter2" not in repr(checked_run())


def test_cancelling_the_local_runs_at_shutdown_asks_each_and_waits_on_the_clock() -> None:
    world = World()
    first, second = world.run(), world.run()
    world.runner.finish(first, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    cancel = CancelLocalRuns(
        runner=world.runner, clock=world.clock, cancel=lambda: world.cancel_run
    )
    assert cancel(grace_seconds=5) == [second]
    assert world.runner.cancelled == [second]
    assert world.uow.committed.automation_runs[second].cancel_requested
