"""Clones and fetches on the progress board: published while they run, cleared when they end
(whatever the end), cancelled on request by whoever may use the workspace."""

from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied
from aiops.domain.model.workspaces import (
    NoTransfer,
    RemoteFailed,
    TransferCancelled,
    TransferPhase,
    TransferProgress,
)
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.domain.usecases.workspaces import TransferWatch, WorkspaceResult
from tests.fakes import FakeGitWorkspaces, FakeUnitOfWork
from tests.unit import test_workspaces
from tests.unit.test_workspaces import IVO, URL, WEB, WORKSPACE, actor, op, ref

# The fixtures of the workspace use cases' tests, shared.
app, git, linux_users = test_workspaces.app, test_workspaces.git, test_workspaces.linux_users


def _ivo(app: Container, uow: FakeUnitOfWork) -> int:
    return actor(uow, IVO).user_id or 0


def test_a_clone_publishes_its_steps_and_clears_them_when_done(
    app: Container, uow: FakeUnitOfWork
) -> None:
    seen: list[TransferProgress | None] = []
    board = app.gateways.transfer_progress()
    user = _ivo(app, uow)

    def step(progress: TransferProgress) -> None:
        seen.append(board.get(user, WEB))

    app.init_workspace()(ref(uow), TransferWatch(progress=step))

    assert [(s.operation, s.phase, s.percent) for s in seen if s] == [
        ("clone", TransferPhase.RECEIVING, 0),
        ("clone", TransferPhase.RECEIVING, 50),
        ("clone", TransferPhase.RECEIVING, 100),
        ("clone", TransferPhase.RESOLVING, 100),
    ]
    assert board.get(user, WEB) is None


def test_the_status_during_a_first_clone_is_its_progress(
    app: Container, uow: FakeUnitOfWork
) -> None:
    during: list[WorkspaceResult] = []

    def step(progress: TransferProgress) -> None:
        if progress.percent == 50:
            during.append(app.workspace_status()(ref(uow)))

    app.init_workspace()(ref(uow), TransferWatch(progress=step))
    after = app.workspace_status()(ref(uow))

    (result,) = during
    assert result.status is None
    assert result.path == str(WORKSPACE)
    assert result.progress is not None
    assert (result.progress.operation, result.progress.percent) == ("clone", 50)
    assert after.status is not None
    assert after.progress is None


def test_a_cancelled_clone_leaves_nothing_and_no_audit_event(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    answers: list[TransferProgress] = []

    def step(progress: TransferProgress) -> None:
        if progress.percent == 50:
            answers.append(app.cancel_transfer()(ref(uow)))

    events = len(uow.committed.audit)
    with pytest.raises(TransferCancelled):
        app.init_workspace()(ref(uow), TransferWatch(progress=step))

    assert [a.operation for a in answers] == ["clone"]
    assert WORKSPACE not in git.clones
    assert len(uow.committed.audit) == events
    assert app.gateways.transfer_progress().get(_ivo(app, uow), WEB) is None
    # Nothing runs any more: a second cancel is refused, and a new clone is not cancelled.
    with pytest.raises(NoTransfer):
        app.cancel_transfer()(ref(uow))
    assert app.init_workspace()(ref(uow)).created


class Interrupted:
    """A CLI's Ctrl-C: set once, then every look says stop."""

    def __init__(self) -> None:
        self.now = False

    def cancelled(self) -> bool:
        return self.now


@pytest.mark.parametrize("operation", ["fetch", "pull"])
def test_a_fetch_reports_and_a_watch_can_stop_it(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces, operation: str
) -> None:
    app.init_workspace()(ref(uow))
    git.remotes[URL]["main"].append("c3")
    seen: list[TransferProgress] = []
    app.operate_workspace()(op(uow, operation), TransferWatch(progress=seen.append))
    assert {s.operation for s in seen} == {operation}
    assert seen[-1].phase is TransferPhase.RESOLVING

    git.remotes[URL]["main"].append("c4")
    stop = Interrupted()

    def step(progress: TransferProgress) -> None:
        stop.now = True

    with pytest.raises(TransferCancelled):
        app.operate_workspace()(op(uow, operation), TransferWatch(progress=step, cancel=stop))

    assert git.clones[WORKSPACE].remote["main"][-1] == "c3"  # as it was
    assert app.gateways.transfer_progress().get(_ivo(app, uow), WEB) is None
    snapshot = app.gateways.workspace_snapshots().get(_ivo(app, uow), WEB)
    assert snapshot is not None
    assert snapshot.error == "cancelled"


def test_a_failed_fetch_clears_the_board(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.unreachable.add(URL)

    with pytest.raises(RemoteFailed):
        app.operate_workspace()(op(uow, "fetch"))

    assert app.gateways.transfer_progress().get(_ivo(app, uow), WEB) is None


def test_cancel_is_refused_to_those_who_may_not_use_the_workspace(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_tenant()(CreateTenantCommand(slug="other", name="Other"))
    app.create_user()(CreateUserCommand(email="out@example.com", name="Out"))
    refusals: list[type[Exception]] = []

    def step(progress: TransferProgress) -> None:
        if progress.percent != 50:
            return
        for who, ivos in (("vera@example.com", None), ("out@example.com", None), (None, IVO)):
            try:
                if who is None:  # a member asking for Ivo's own workspace
                    app.cancel_transfer()(ref(uow, "vera@example.com", user_email=ivos or ""))
                else:
                    app.cancel_transfer()(ref(uow, who))
            except (PermissionDenied, NotFound, NoTransfer) as refused:
                refusals.append(type(refused))

    result = app.init_workspace()(ref(uow), TransferWatch(progress=step))

    assert result.created  # nobody could stop it
    assert refusals == [PermissionDenied, NotFound, PermissionDenied]


def test_cancel_with_nothing_running_is_a_conflict(app: Container, uow: FakeUnitOfWork) -> None:
    with pytest.raises(NoTransfer, match="nothing is being cloned or fetched"):
        app.cancel_transfer()(ref(uow))
