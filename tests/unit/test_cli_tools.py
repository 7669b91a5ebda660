"""The AI CLI install use cases against FakeCliInstaller: who may install, which packages ever
reach the installer, one install per tool at a time, and what the audit trail keeps."""

from __future__ import annotations

import contextlib
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import Conflict, PermissionDenied, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.sessions import Tool
from aiops.domain.usecases.cli_tools import (
    CliToolsStatus,
    InstallCliTool,
    InstallCliToolCommand,
)
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import FakeCliInstaller, FakeClock, FakeLocks, FakeUnitOfWork

ALLOWLIST = {"@openai/codex", "@google/gemini-cli", "@anthropic-ai/claude-code"}
ADMIN = Actor(name="ada", user_id=1, is_admin=True)


def make(installer: FakeCliInstaller | None = None) -> tuple[InstallCliTool, FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    use_case = InstallCliTool(uow, FakeClock(), installer or FakeCliInstaller(), FakeLocks())
    return use_case, uow


def test_status_lists_the_three_installable_tools() -> None:
    installer = FakeCliInstaller()
    installer.versions["@openai/codex"] = "0.40.0"

    statuses = CliToolsStatus(installer)()

    assert [(s.tool, s.package, s.installed) for s in statuses] == [
        (Tool.CODEX, "@openai/codex", "0.40.0"),
        (Tool.GEMINI, "@google/gemini-cli", None),
        (Tool.CLAUDE, "@anthropic-ai/claude-code", None),
    ]


def test_an_admin_installs_a_tool_and_the_audit_keeps_the_outcome_not_the_output() -> None:
    installer = FakeCliInstaller(version="0.41.0")
    install, uow = make(installer)
    lines: list[str] = []

    result = install(InstallCliToolCommand(tool="codex", actor=ADMIN, on_output=lines.append))

    assert installer.installs == ["@openai/codex"]
    assert (result.returncode, result.version) == (0, "0.41.0")
    assert lines == ["added 1 package: @openai/codex"]
    with uow as tx:
        [event] = tx.audit.list(AuditQuery(action="cli_tool.installed"))
    assert event.actor == "ada"
    assert event.target == "cli_tool:codex"
    assert event.detail == {
        "tool": "codex",
        "package": "@openai/codex",
        "returncode": 0,
        "version": "0.41.0",
        "timed_out": False,
    }


def test_a_failed_install_is_audited_too() -> None:
    install, uow = make(FakeCliInstaller(returncode=1))

    result = install(InstallCliToolCommand(tool=Tool.CLAUDE, actor=SYSTEM))

    assert result.returncode == 1
    with uow as tx:
        [event] = tx.audit.list(AuditQuery(action="cli_tool.installed"))
    assert event.detail["returncode"] == 1
    assert event.detail["version"] is None


def test_only_a_global_admin_may_install() -> None:
    installer = FakeCliInstaller()
    install, uow = make(installer)
    owner = Actor(name="olga", user_id=2, roles={})

    with pytest.raises(PermissionDenied):
        install(InstallCliToolCommand(tool="codex", actor=owner))
    assert installer.installs == []
    assert uow.commits == 0


def test_a_shell_is_not_installed_through_npm() -> None:
    install, _ = make()

    with pytest.raises(ValidationError, match="shell is not installed through npm"):
        install(InstallCliToolCommand(tool="shell", actor=ADMIN))


@given(st.one_of(st.sampled_from([t.value for t in Tool]), st.text(max_size=60)))
def test_only_allowlisted_packages_ever_reach_the_installer(name: str) -> None:
    installer = FakeCliInstaller()
    install, _ = make(installer)
    with contextlib.suppress(ValidationError):
        install(InstallCliToolCommand(tool=name, actor=ADMIN))
    assert set(installer.installs) <= ALLOWLIST
    assert len(installer.installs) == (name in {"codex", "gemini", "claude"})


def test_a_second_install_of_the_same_tool_while_one_runs_is_refused() -> None:
    installer = FakeCliInstaller()
    gate = installer.gates["@openai/codex"] = threading.Event()
    install, _ = make(installer)
    first = threading.Thread(
        target=install, args=(InstallCliToolCommand(tool="codex", actor=ADMIN),)
    )
    first.start()
    try:
        assert installer.started.wait(5)
        with pytest.raises(Conflict, match="codex is already being installed"):
            install(InstallCliToolCommand(tool="codex", actor=ADMIN))
        install(InstallCliToolCommand(tool="gemini", actor=ADMIN))  # another tool may run
    finally:
        gate.set()
        first.join(5)
    install(InstallCliToolCommand(tool="codex", actor=ADMIN))  # and again once it is done
    assert installer.installs == ["@openai/codex", "@google/gemini-cli", "@openai/codex"]
