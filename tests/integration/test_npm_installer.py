"""NpmCliInstaller against a fake npm script (argv recorded, output with small sleeps, a chosen
exit code), installing through the launcher (in this process as root, as CI runs; over its
socket; or, without one, as this account), and `npm ls` against the real npm of this machine.
Nothing is ever installed from the registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launcher.switch import AccountRules
from aiops.adapters.launching import AccountLauncher, InProcessBackend, SocketBackend
from aiops.adapters.npm_installer import NpmCliInstaller, allowlisted_packages, versions_from_ls
from aiops.adapters.system_accounts import uid_min
from aiops.container import launcher_programs
from aiops.domain.errors import ValidationError
from aiops.domain.model.sessions import DEFAULT_TOOLS, Tool
from tests.accounts import IS_ROOT
from tests.integration.fake_npm import FakeNpm

PACKAGES = {tool: spec.package for tool, spec in DEFAULT_TOOLS.items() if spec.package}
REAL_NPM = "/usr/bin/npm"


@pytest.fixture
def npm(tmp_path: Path) -> FakeNpm:
    return FakeNpm(tmp_path / "npm")


def executor(npm: str, packages: frozenset[str] | None = None) -> Executor:
    """The launcher's executor, whose npm (AIOPS_NPM's, in production) is `npm`."""
    return Executor(
        rules=AccountRules(minimum=uid_min(), deny=frozenset(), mapped=lambda _: False),
        programs=launcher_programs(),
        workspace_root=Path("/nonexistent"),
        npm=npm,
        packages=allowlisted_packages() if packages is None else packages,
    )


def installer(
    npm: str, *, timeout: float = 60, packages: frozenset[str] | None = None
) -> NpmCliInstaller:
    """As aiops builds it: through the launcher's code in this process when root (CI), else
    with no launcher (npm runs as this account)."""
    launcher = AccountLauncher(
        backend=InProcessBackend(executor(npm, packages)) if IS_ROOT else None,
        programs=launcher_programs(),
        workspace_root=Path("/nonexistent"),
    )
    return NpmCliInstaller(npm, launcher=launcher, timeout=timeout)


@pytest.fixture
def daemon(npm: FakeNpm) -> Iterator[AccountLauncher]:
    """The launcher as a daemon on its socket, as aiops uses it when it runs as the service
    account (here the peer it accepts is this process's own account)."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-launcher-"))
    path = str(folder / "launcher.sock")
    server = LauncherServer(path, executor=executor(str(npm.path)), peer_uid=os.geteuid())
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,))
    thread.start()
    try:
        yield AccountLauncher(
            backend=SocketBackend(path), programs=launcher_programs(), workspace_root=folder
        )
    finally:
        stop.set()
        thread.join()
        shutil.rmtree(folder, ignore_errors=True)


def test_the_allowlist_is_the_three_ai_cli_packages() -> None:
    assert allowlisted_packages() == {
        "@openai/codex",
        "@google/gemini-cli",
        "@anthropic-ai/claude-code",
    }


def test_status_reads_every_version_from_one_npm_ls(
    npm: FakeNpm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm.install_state({"@openai/codex": "0.40.0", "@anthropic-ai/claude-code": "2.0.1", "x": "1"})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    codex = bin_dir / "codex"
    codex.write_text("#!/bin/sh\n")
    codex.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")

    statuses = installer(str(npm.path)).status(PACKAGES)

    assert npm.calls == [["ls", "-g", "--depth=0", "--json"]]
    found = {s.tool: (s.installed, s.path, s.note) for s in statuses}
    assert found == {
        Tool.CODEX: ("0.40.0", str(codex), None),
        Tool.GEMINI: (None, None, None),
        Tool.CLAUDE: ("2.0.1", None, None),
    }


def test_status_without_npm_says_not_installed_with_a_note(tmp_path: Path) -> None:
    statuses = installer(str(tmp_path / "no-npm")).status(PACKAGES)

    assert [s.installed for s in statuses] == [None, None, None]
    assert all(s.note and "npm not found" in s.note and "AIOPS_NPM" in s.note for s in statuses)


def test_status_with_an_unreadable_answer_says_so(npm: FakeNpm) -> None:
    npm.configure(ls_stdout="npm ERR! something", ls_exit=1)

    statuses = installer(str(npm.path)).status(PACKAGES)

    assert [s.installed for s in statuses] == [None, None, None]
    assert statuses[0].note == "npm ls -g gave no readable answer (exit 1)"


def test_status_of_an_empty_global_folder_is_not_installed(npm: FakeNpm) -> None:
    npm.configure(ls_stdout='{"name": "lib"}')

    statuses = installer(str(npm.path)).status(PACKAGES)

    assert [(s.installed, s.note) for s in statuses] == [(None, None)] * 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ('{"dependencies": {"a": {"version": "1"}, "b": {}, "c": "x"}}', {"a": "1"}),
        (
            '{"dependencies": {"@s/p": {"version": "2.0.0", "overridden": false}}}',
            {"@s/p": "2.0.0"},
        ),
    ],
)
def test_npm_ls_json_is_parsed_leniently(text: str, expected: dict[str, str]) -> None:
    assert versions_from_ls(text) == expected


@pytest.mark.parametrize("text", ["[]", "not json", '{"dependencies": 5}'])
def test_npm_ls_json_of_another_shape_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"JSON|object|Expecting"):
        versions_from_ls(text)


def test_install_runs_npm_install_global_latest_and_reads_the_version(npm: FakeNpm) -> None:
    npm.configure(lines=3, version="0.41.2")
    lines: list[str] = []

    result = installer(str(npm.path)).install(Tool.CODEX, "@openai/codex", lines.append)

    assert npm.calls == [
        ["install", "-g", "@openai/codex@latest"],
        ["ls", "-g", "--depth=0", "--json"],
    ]
    assert result.returncode == 0
    assert result.version == "0.41.2"
    assert not result.timed_out
    assert lines[:3] == [f"line {i} of @openai/codex@latest" for i in (1, 2, 3)]
    assert "warn: to stderr" in lines
    assert result.output_tail == "\n".join(lines)


def test_install_output_arrives_while_npm_still_runs(npm: FakeNpm) -> None:
    npm.configure(lines=4, sleep=0.3)
    seen_before_end: list[bool] = []

    installer(str(npm.path)).install(
        Tool.GEMINI, "@google/gemini-cli", lambda line: seen_before_end.append(not npm.finished)
    )

    assert seen_before_end[:4] == [True, True, True, True]


def test_install_returns_npms_exit_code_and_installs_nothing_on_failure(npm: FakeNpm) -> None:
    npm.configure(exit=3)

    result = installer(str(npm.path)).install(
        Tool.CLAUDE, "@anthropic-ai/claude-code", lambda line: None
    )

    assert (result.returncode, result.version) == (3, None)


def test_install_that_runs_too_long_is_killed_with_its_children(npm: FakeNpm) -> None:
    npm.configure(hang=True)
    lines: list[str] = []
    started = time.monotonic()

    result = installer(str(npm.path), timeout=1).install(Tool.CODEX, "@openai/codex", lines.append)

    assert time.monotonic() - started < 20
    assert result.timed_out
    assert result.returncode != 0
    assert lines[0] == "hanging"
    assert "was stopped after 1 s" in lines[-1]


@pytest.mark.parametrize(
    "package", ["left-pad", "@openai/codex@0.1.0", "--registry=http://evil", "@openai/codex; rm"]
)
def test_install_refuses_a_package_outside_the_allowlist(npm: FakeNpm, package: str) -> None:
    with pytest.raises(ValidationError, match="not in the tool allowlist"):
        installer(str(npm.path)).install(Tool.CODEX, package, lambda line: None)
    assert npm.calls == []


def test_install_without_npm_fails_with_a_clear_line(tmp_path: Path) -> None:
    lines: list[str] = []

    result = installer(str(tmp_path / "no-npm")).install(Tool.CODEX, "@openai/codex", lines.append)

    assert result.returncode == 127
    assert "cannot run" in lines[0]
    assert "AIOPS_NPM" in lines[0]


@pytest.mark.skipif(not IS_ROOT, reason="the launcher acts in this process only for root")
def test_install_goes_through_the_launcher_which_checks_the_package_again(npm: FakeNpm) -> None:
    lines: list[str] = []

    result = installer(str(npm.path), packages=frozenset()).install(
        Tool.CODEX, "@openai/codex", lines.append
    )

    refused = "'@openai/codex' is not an allowlisted package"
    assert lines == [f"aiops: cannot install @openai/codex: {refused}"]
    assert (result.returncode, result.version) == (127, None)
    assert [c for c in npm.calls if c[0] == "install"] == []


def test_without_a_launcher_npm_runs_as_this_account(npm: FakeNpm) -> None:
    npm.configure(lines=2, version="0.9.1")
    alone = installer(str(npm.path))
    alone.launcher = attrs.evolve(alone.launcher, backend=None)
    lines: list[str] = []

    result = alone.install(Tool.GEMINI, "@google/gemini-cli", lines.append)

    assert npm.calls[0] == ["install", "-g", "@google/gemini-cli@latest"]
    assert lines[:2] == [f"line {i} of @google/gemini-cli@latest" for i in (1, 2)]
    assert (result.returncode, result.version) == (0, "0.9.1")


def test_over_the_launchers_socket_output_streams_and_the_exit_code_comes_back(
    npm: FakeNpm, daemon: AccountLauncher
) -> None:
    npm.configure(lines=3, sleep=0.3, exit=3)
    seen_before_end: list[bool] = []
    lines: list[str] = []

    def seen(line: str) -> None:
        lines.append(line)
        seen_before_end.append(not npm.finished)

    result = NpmCliInstaller(str(npm.path), launcher=daemon).install(
        Tool.CLAUDE, "@anthropic-ai/claude-code", seen
    )

    assert npm.calls[0] == ["install", "-g", "@anthropic-ai/claude-code@latest"]
    assert seen_before_end[:3] == [True, True, True]
    assert lines == [
        *(f"line {i} of @anthropic-ai/claude-code@latest" for i in (1, 2, 3)),
        "warn: to stderr",
    ]
    assert (result.returncode, result.timed_out) == (3, False)


def test_over_the_launchers_socket_a_timeout_stops_npm_and_its_children(
    npm: FakeNpm, daemon: AccountLauncher
) -> None:
    npm.configure(hang=True)
    lines: list[str] = []
    started = time.monotonic()

    result = NpmCliInstaller(str(npm.path), launcher=daemon, timeout=1).install(
        Tool.CODEX, "@openai/codex", lines.append
    )

    assert time.monotonic() - started < 20
    assert (result.returncode, result.timed_out) == (-9, True)
    assert lines == ["hanging", f"aiops: {npm.path} was stopped after 1 s"]


@pytest.mark.skipif(shutil.which(REAL_NPM) is None, reason=f"{REAL_NPM} is not installed here")
def test_the_real_npm_ls_answer_parses() -> None:
    done = subprocess.run(
        [REAL_NPM, "ls", "-g", "--depth=0", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    versions = versions_from_ls(done.stdout)
    assert versions.get("npm"), json.dumps(versions)

    statuses = installer(REAL_NPM).status(PACKAGES)

    assert [s.tool for s in statuses] == [Tool.CODEX, Tool.GEMINI, Tool.CLAUDE]
    assert all(s.note is None for s in statuses)
    for status in statuses:
        assert status.installed == versions.get(status.package)
