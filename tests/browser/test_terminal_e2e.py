"""The terminal end to end (issue 17): Chromium on /sessions/{id} against the real chain, a
real `aiops serve` (its WebSocket, use cases and launcher), a real shell in a real tmux on a
private socket, as a throwaway Linux account. test_terminal.py checks the browser's side
against a stand-in; these check that what the browser does reaches the window, and that who
may not type or see does not.

One server, one tmux server, one session for the module: the tests share the shell and each
leaves it at its prompt."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.accounts import needs_root, open_folder
from tests.browser.conftest import AIOPS, LiveServer
from tests.browser.test_session_pane import ADMIN, Place, place, session_env  # noqa: F401
from tests.browser.test_terminal import VENDOR, VENDOR_FILES, paste, run, screen, wait_screen
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.tmux.conftest import tmux_as_owner

pytestmark = needs_root
PASSWORD = "watch-the-pane-" + secrets.token_hex(4)
MEMBER = "member@example.com"  # a member of the session's tenant
STRANGER = "stranger@example.com"  # a viewer of another tenant
PROMPT = r"^bash-[0-9.]+\$ "
# A plain bash (no rc files: the account's own may print or set a prompt of their own).
SHELL = ["/bin/bash", "--norc", "--noprofile"]


@pytest.fixture(scope="module")
def live_server_env(place: Place) -> dict[str, str]:  # noqa: F811
    return session_env(place) | {"AIOPS_AGENT_COMMANDS": json.dumps({"shell": SHELL})}


@attrs.frozen
class World:
    """The module's server, the account's place, its one shell session and the admin's cookies
    (a browser context's storage state)."""

    server: LiveServer
    place: Place
    session_id: int
    admin_state: dict[str, Any]
    files: Path  # a folder the account may write in and root reads

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/sessions/{self.session_id}"

    def pane(self) -> str:
        """The window's pane as tmux holds it (the only pane of the account's tmux server,
        listed once per session: each terminal has a session of its own in the window's
        group)."""
        panes = tmux_as_owner(self.place.socket, "list-panes", "-a", "-F", "#{pane_id}")
        (pane,) = set(panes.stdout.split())
        return tmux_as_owner(self.place.socket, "capture-pane", "-p", "-t", pane).stdout


def aiops(server: LiveServer, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [AIOPS, *args], env=server.env, input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def sign_in(page: Any, server: LiveServer, email: str, password: str) -> None:
    page.goto(server.base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(server.base_url + "/")


@pytest.fixture(scope="module")
def world(browser: Any, live_server: LiveServer, place: Place) -> Iterator[World]:  # noqa: F811
    """A project on a local remote, a member of its tenant and a viewer of another, and the
    admin's shell session launched from the sessions page."""
    missing = [name for name in VENDOR_FILES if not (VENDOR / name).is_file()]
    if missing:
        pytest.skip(f"xterm.js is not installed ({', '.join(missing)}): run `make vendor`")
    folder = open_folder("aiops-term-e2e-")
    try:
        remote = make_remote(folder)
        trusting(place.account, remote)
        aiops(live_server, "project", "create", "--tenant", "default", "--slug", "web",
              "--name", "Web", "--repo-url", str(remote))  # fmt: skip
        aiops(live_server, "tenant", "create", "--slug", "other", "--name", "Other")
        for email, tenant, role in ((MEMBER, "default", "member"), (STRANGER, "other", "viewer")):
            aiops(live_server, "user", "create", "--email", email, "--name", email.split("@")[0])
            aiops(live_server, "user", "set-password", "--email", email, "--password-stdin",
                  stdin=PASSWORD + "\n")  # fmt: skip
            aiops(
                live_server, "member", "add", "--tenant", tenant, "--email", email, "--role", role
            )

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, live_server, ADMIN, live_server.admin_password)
        page.goto(live_server.base_url + "/sessions")
        page.select_option("form.launch select[name=project]", label="Web")
        page.select_option("form.launch select[name=tool]", "shell")
        page.click("form.launch button[type=submit]")
        page.wait_for_url(f"{live_server.base_url}/sessions/*")
        session_id = int(page.url.rsplit("/", 1)[1])
        state = context.storage_state()
        context.close()
        files = folder / "files"
        files.mkdir(mode=0o1777)
        files.chmod(0o1777)
        yield World(live_server, place, session_id, state, files)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def browsing(browser: Any, name: str, state: dict[str, Any] | None = None) -> Iterator[Any]:
    """A page in a fresh context (signed in as `state` says); a screenshot at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, storage_state=state)
    page = context.new_page()
    try:
        yield page
    finally:
        output = Path(__file__).parent / "output" / name
        output.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(output / "last.png"), full_page=True)
        context.close()


@pytest.fixture
def admin(browser: Any, world: World, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The admin's terminal on the session's page, attached and at the shell's prompt."""
    with browsing(browser, request.node.name, world.admin_state) as page:
        page.goto(world.url)
        page.wait_for_selector("#terminal[data-state=connected]", timeout=15_000)
        focus(page)
        page.keyboard.press("Enter")  # a fresh prompt, whatever the last test left
        wait_screen(page, PROMPT)
        yield page


def focus(page: Any) -> None:
    """The keyboard to the terminal without a click: with tmux's mouse on, a click is a mouse
    event for tmux, and one that moves while the terminal refits (a loaded machine) is a drag,
    which puts the shared pane in copy mode, where typed keys are copy-mode commands."""
    page.locator("#terminal textarea").focus()


def wait_for(check: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def rows(text: str) -> list[str]:
    """Lines without trailing blanks, and no blank lines at the end."""
    lines = [line.rstrip() for line in text.replace("\u00a0", " ").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def handshake(
    world: World, page: Any, origin: str | None, keys: bytes = b""
) -> int | dict[str, Any]:
    """A raw WebSocket handshake with the page's cookie and CSRF token: the refusal's status,
    or the first (hello) message, after which `keys` are sent as a browser would."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    csrf = page.locator("form[action='/logout'] input[type=hidden]").get_attribute("value")
    url = world.url.replace("http://", "ws://", 1) + f"/terminal?csrf={csrf}&cols=80&rows=24"
    try:
        with connect(url, origin=origin, additional_headers={"Cookie": cookie}) as socket:  # type: ignore[arg-type]
            hello = dict(json.loads(socket.recv(timeout=10)))
            if keys:
                socket.send(keys)  # binary: keystrokes
                socket.send(json.dumps({"type": "ping"}))
                while not isinstance(frame := socket.recv(timeout=10), str):
                    pass  # the screen, until the pong: the keys have been read by then
                assert json.loads(frame) == {"type": "pong"}
                time.sleep(0.5)  # and tmux's client has had the time to read them
            return hello
    except InvalidStatus as refused:
        return refused.response.status_code


def test_a_typed_command_runs_in_the_window(admin: Any, world: World) -> None:
    assert admin.locator("#pane").is_hidden()
    run(admin, "echo hello-$RANDOM")
    said = wait_screen(admin, r"^hello-[0-9]+$").group(0)
    wait_for(lambda: re.search(rf"^{said}$", world.pane(), re.MULTILINE))


def window_widths(world: World) -> set[str]:
    """The window's width in each session, and its pane's (what `tput cols` reads)."""
    shown = tmux_as_owner(world.place.socket, "list-panes", "-a", "-F", "#{window_width}")
    panes = tmux_as_owner(world.place.socket, "list-panes", "-a", "-F", "#{pane_width}")
    return set(shown.stdout.split()) | set(panes.stdout.split())


def test_the_window_follows_the_viewport_and_tput_cols_sees_it(admin: Any, world: World) -> None:
    wide = int(admin.locator("#terminal").get_attribute("data-cols"))
    # tmux sizes the window a moment after the attach or resize message: type once it has
    wait_for(lambda: window_widths(world) == {str(wide)})
    run(admin, "clear; tput cols")
    wait_screen(admin, rf"^{wide}\s*$")
    admin.set_viewport_size({"width": 800, "height": 700})
    wait_for(lambda: admin.locator("#terminal").get_attribute("data-cols") != str(wide))
    narrow = int(admin.locator("#terminal").get_attribute("data-cols"))
    assert narrow < wide
    focus(admin)
    wait_for(lambda: window_widths(world) == {str(narrow)})
    run(admin, "clear; tput cols")
    wait_screen(admin, rf"^{narrow}\s*$")
    shown = tmux_as_owner(world.place.socket, "list-windows", "-a", "-F", "#{window_width}")
    assert set(shown.stdout.split()) == {str(narrow)}  # the one window, in each session


def test_a_multi_line_paste_reaches_the_window_byte_exact(admin: Any, world: World) -> None:
    text = "-n first; line\n  - second ; \n-third;"
    target = world.files / f"pasted-{secrets.token_hex(3)}"
    run(admin, f"cat > {target}")
    time.sleep(0.3)  # cat is reading: readline has turned bracketed paste off
    paste(admin, text)
    wait_for(lambda: "-third;" in world.pane())
    admin.keyboard.press("Enter")
    admin.keyboard.press("Control+D")
    wait_screen(admin, PROMPT + r"\s*$")
    wait_for(lambda: target.exists() and target.read_bytes() == (text + "\n").encode())
    assert target.stat().st_uid == world.place.account.uid  # written as the account


def test_a_viewer_of_another_tenant_gets_404(browser: Any, world: World) -> None:
    with browsing(browser, "stranger-404") as page:
        sign_in(page, world.server, STRANGER, PASSWORD)
        assert page.goto(world.url).status == 404
        page.goto(world.server.base_url + "/")
        assert handshake(world, page, world.server.base_url) == 404


def test_a_foreign_origin_gets_403_and_this_site_a_hello(browser: Any, world: World) -> None:
    with browsing(browser, "foreign-origin", world.admin_state) as page:
        page.goto(world.server.base_url + "/")
        assert handshake(world, page, "http://evil.example") == 403
        assert handshake(world, page, None) == 403
        hello = handshake(world, page, world.server.base_url)
        assert hello == {"type": "hello", "read_only": False, "session": world.session_id}


def test_a_reload_mid_output_repaints_the_current_screen(admin: Any, world: World) -> None:
    run(admin, "clear; i=0; while :; do i=$((i + 1)); echo count-$i; sleep 0.2; done")
    wait_screen(admin, r"^count-5$")
    before = max(int(n) for n in re.findall(r"^count-([0-9]+)", screen(admin), re.MULTILINE))
    admin.reload()
    admin.wait_for_selector("#terminal[data-state=connected]", timeout=15_000)
    wait_screen(admin, rf"^count-{before + 3}$")
    # Counts printed before the reload are on the new page's screen: tmux repainted it.
    assert re.search(rf"^count-{before}$", screen(admin), re.MULTILINE)
    focus(admin)
    admin.keyboard.press("Control+C")
    wait_screen(admin, PROMPT + r"\s*$")
    # The screen is the pane (tmux's status line below it).
    wait_for(lambda: rows(screen(admin))[: len(rows(world.pane()))] == rows(world.pane()))


def test_a_watchers_keystrokes_never_reach_the_window(browser: Any, world: World) -> None:
    aiops(world.server, "session", "share", str(world.session_id), "--on")
    try:
        with browsing(browser, "watcher") as page:
            sign_in(page, world.server, MEMBER, PASSWORD)
            page.goto(world.url)
            page.wait_for_selector("#terminal[data-state=read-only]", timeout=15_000)
            before = world.pane()
            wait_screen(page, re.escape(rows(before)[-1]))  # the watcher sees the window
            focus(page)
            run(page, "echo typed-by-a-watcher")
            paste(page, "echo pasted-by-a-watcher\n")
            # A client that is not the page's script sends anyway: the server drops it.
            raw = handshake(world, page, world.server.base_url, b"echo sent-by-a-watcher\r")
            assert raw == {"type": "hello", "read_only": True, "session": world.session_id}
            time.sleep(1)
            assert world.pane() == before
            assert "by-a-watcher" not in world.pane()
    finally:
        aiops(world.server, "session", "share", str(world.session_id), "--off")
