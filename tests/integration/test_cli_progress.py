"""`aiops init-workspace` and `aiops git fetch` on the generated large repository over `git
daemon`, in subprocesses: a progress bar on a terminal's stderr (nothing of it in a pipe),
and Ctrl-C stopping a clone with one line, exit 130 and no folder left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.git.conftest import Git
from tests.integration.test_cli import AIOPS, Cli
from tests.large_repo import large

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("large-repository")]
WHO = ("--user-email", "ivo@example.com", "--project-id")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with large.git_daemon(Path(large.large_repo())) as served:
        yield served


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, url: str) -> Cli:
    cli = Cli(tmp_path, AIOPS_WORKSPACE_ROOT=str(tmp_path / "home"))
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok(
        "project", "create", "--tenant", "acme", "--slug", "big", "--name", "Big",
        "--repo-url", url,
    )  # fmt: skip
    cli.ok("user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    cli.ok("member", "add", "--tenant", "acme", "--email", "ivo@example.com", "--role", "member")
    return cli


def _pid(cli: Cli) -> str:
    return str(cli.json("project", "list")[0]["id"])


def _workspace(tmp_path: Path) -> Path:
    return tmp_path / "home" / "ivo" / "workspace" / "big"


def test_ctrl_c_stops_a_clone_with_one_line_exit_130_and_no_folder(
    cli: Cli, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path)
    process = subprocess.Popen(
        [AIOPS, "init-workspace", *WHO, _pid(cli)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=cli.env,
    )
    deadline = time.monotonic() + 60
    packs = workspace / ".git" / "objects" / "pack"
    while not (packs.is_dir() and any(packs.iterdir())) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)  # until git is receiving the pack
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    assert out == b""
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("aiops: cancelled the clone of git://127.0.0.1")
    assert not workspace.exists()
    assert workspace.parent.is_dir()
    # Initialized again, it is complete.
    cli.ok("init-workspace", *WHO, _pid(cli))
    Git(workspace).fsck()


def test_a_pipe_gets_no_bar_and_json_stays_exact(cli: Cli, tmp_path: Path) -> None:
    cloned = cli.run("init-workspace", *WHO, _pid(cli), "--json")
    fetched = cli.run("git", "fetch", *WHO, _pid(cli))

    assert cloned.returncode == 0, cloned.stderr
    assert cloned.stderr == ""
    assert json.loads(cloned.stdout)["created"] is True
    assert json.loads(cloned.stdout)["progress"] is None
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stderr == ""
    assert fetched.stdout.splitlines()[0] == "fetch: done"


def test_a_terminal_gets_one_line_rewritten_as_git_works(cli: Cli, tmp_path: Path) -> None:
    main, terminal = os.openpty()
    process = subprocess.Popen(
        [AIOPS, "init-workspace", *WHO, _pid(cli)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=tmp_path,
        env=cli.env,
    )
    os.close(terminal)
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    out, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(main)

    assert process.returncode == 0
    text = shown.decode()
    assert "\n" not in text.replace("\r\n", "")  # one line, rewritten
    frames = [frame.strip() for frame in text.split("\r") if frame.strip()]
    receiving = [frame for frame in frames if frame.startswith("clone receiving")]
    assert len(receiving) > 5
    assert any(" 45%" in f or " 50%" in f or " 55%" in f for f in receiving)
    assert frames[-1].startswith("clone updating") or frames[-1].startswith("clone resolving")
    assert "100%" in frames[-1]
    assert text.endswith("\r")  # wiped before the result is printed
    assert out.decode().startswith("workspace cloned into")
