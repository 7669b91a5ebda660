"""The Sessions page's live pane view (the terminal's fallback: here xterm.js does not load) in
a real browser against a real tmux: the admin, mapped to a throwaway Linux account, launches a
fake AI CLI that ticks every 0.3 s, watches the pane grow without reloading the page, then
stops the session."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.ports.linux_users import LinuxAccount
from tests.browser.conftest import LiveServer
from tests.browser.test_workspace_card import sign_in
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.tmux.conftest import needs_root, remove_account, tmux_as_owner

pytestmark = needs_root
ADMIN = "admin@example.com"  # what the live server seeds
SOCKET_NAME = f"aiops-browser-{secrets.token_hex(3)}"
TICKER = """#!/bin/sh
i=1
while true; do
  echo "tick $i"
  i=$((i + 1))
  sleep 0.3
done
"""


@attrs.frozen
class Place:
    """A folder the account can pass through: the workspaces, tmux's sockets (a folder each
    account may make its own in, as /tmp), the ticker."""

    root: Path
    account: LinuxAccount

    @property
    def socket(self) -> Path:
        return self.root / "tmux" / f"tmux-{self.account.uid}" / SOCKET_NAME


@pytest.fixture(scope="module")
def place() -> Iterator[Place]:
    """A throwaway account and its folder; at the end its tmux server is killed, then the
    account and the folder go."""
    name = f"aiops-b-{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "--create-home", "--shell", "/bin/bash", name], check=True, capture_output=True
    )
    root = Path(tempfile.mkdtemp(prefix="aiops-browser-"))
    try:
        root.chmod(0o711)
        account = PosixLinuxUsers().lookup(name)
        assert account is not None
        for folder, mode in (("home", 0o755), ("tmux", 0o1777), ("bin", 0o755)):
            (root / folder).mkdir(mode=mode)
            (root / folder).chmod(mode)
        ticker = root / "bin" / "ticker"
        ticker.write_text(TICKER)
        ticker.chmod(0o755)
        found = Place(root=root, account=account)
        yield found
        if found.socket.exists():
            tmux_as_owner(found.socket, "kill-server")
    finally:
        remove_account(name)
        shutil.rmtree(root, ignore_errors=True)


def session_env(place: Place) -> dict[str, str]:
    """The server's settings: the admin mapped to the account, tmux and workspaces in its place."""
    return {
        "AIOPS_LINUX_USER_MAPPING": json.dumps({ADMIN: place.account.name}),
        "AIOPS_WORKSPACE_ROOT": str(place.root / "home"),
        "AIOPS_TMUX_TMPDIR": str(place.root / "tmux"),
        "AIOPS_TMUX_SOCKET_NAME": SOCKET_NAME,
        "AIOPS_AGENT_COMMANDS": json.dumps({"shell": [str(place.root / "bin" / "ticker")]}),
    }


@pytest.fixture(scope="module")
def live_server_env(place: Place) -> dict[str, str]:
    return session_env(place)


def create_project(page: Any, live_server: LiveServer, remote: Path) -> None:
    page.goto(live_server.base_url + "/admin/projects")
    page.select_option("select[name=tenant]", index=0)
    page.fill("input[name=slug]", "web")
    page.fill("input[name=name]", "Web")
    page.fill("input[name=repo_url]", str(remote))
    page.click("text=Create project")
    assert "Project Web created." in page.inner_text("main")


def launch_shell(page: Any, live_server: LiveServer) -> int:
    """The Sessions page's launch form: a shell in Web; the new session's id (its page is open)."""
    page.goto(live_server.base_url + "/sessions")
    page.select_option("form.launch select[name=project]", label="Web")
    page.select_option("form.launch select[name=tool]", "shell")
    page.click("form.launch button[type=submit]")
    page.wait_for_url(f"{live_server.base_url}/sessions/*")
    return int(page.url.rsplit("/", 1)[1])


def pane_text(page: Any) -> str:
    return str(page.locator("pre#pane").text_content() or "")


def last_tick(text: str) -> int:
    return max(int(n) for n in re.findall(r"^tick ([0-9]+)$", text, re.MULTILINE))


def test_the_pane_view_follows_the_tool_live(
    page: Any, live_server: LiveServer, place: Place, shared_tmp: Path
) -> None:
    assert live_server.admin_email == ADMIN
    # Without xterm.js the terminal cannot start and the page keeps its pane view (with it,
    # the terminal takes the pane's place: test_terminal_e2e.py).
    page.route("**/static/vendor/**", lambda route: route.abort())
    sign_in(page, live_server)
    remote = make_remote(shared_tmp)  # git clones it as the account, which must trust it
    trusting(place.account, remote)
    create_project(page, live_server, remote)

    launch_shell(page, live_server)
    session_url = page.url
    assert "shell launched in" in page.inner_text("main")
    assert place.account.name in page.inner_text("main")
    page.evaluate("window.stillThisPage = true")

    page.locator("pre#pane", has_text="tick 1").wait_for(timeout=15_000)
    first = pane_text(page)
    goal = f"tick {last_tick(first) + 4}"  # shown later, however slowly the page came
    page.locator("pre#pane", has_text=goal).wait_for(timeout=15_000)
    later = pane_text(page)
    page.screenshot(path=str(page.output / "1-live-pane.png"), full_page=True)

    assert page.evaluate("window.stillThisPage") is True  # no reload: the view refreshed itself
    assert page.url == session_url
    assert goal not in first
    assert last_tick(later) >= last_tick(first) + 4
    assert page.inner_text("#session-status") in ("working", "waiting", "idle")

    page.on("dialog", lambda dialog: dialog.accept())  # the Stop button asks first
    page.click("form[action$='/stop'] button")
    page.wait_for_url(live_server.base_url + "/sessions")
    assert "stopped" in page.inner_text("main")
    assert "No live sessions" in page.inner_text("main")
    windows = tmux_as_owner(place.socket, "list-windows", "-a")
    assert "shell" not in windows.stdout
