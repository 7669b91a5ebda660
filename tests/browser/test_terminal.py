"""The browser's terminal (static/terminal.js) in Chromium against a stand-in of its server side
(terminal_double.py: the protocol's WebSocket over a real pty running bash, the real templates
and static files): typing, resizing, paste, read-only, close reasons, reconnects, the phone's
key bar, the sessions page's previews, and the fallback without xterm.js.

The double stays the reference of what the browser sends; test_terminal_e2e.py checks the same
behaviours against the real route, launcher and tmux."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiops.entrypoints.http.web import HERE
from tests.browser.conftest import OUTPUT, _free_port
from tests.browser.terminal_double import CSRF, TerminalDouble, serving

VENDOR = HERE / "static" / "vendor"
VENDOR_FILES = ("xterm.js", "xterm.css", "addon-fit.js", "addon-search.js", "addon-web-links.js")


@pytest.fixture(scope="module")
def double() -> Iterator[TerminalDouble]:
    missing = [name for name in VENDOR_FILES if not (VENDOR / name).is_file()]
    if missing:
        pytest.skip(f"xterm.js is not installed ({', '.join(missing)}): run `make vendor`")
    pytest.importorskip("websockets", reason="uvicorn serves WebSockets with `websockets`")
    with serving(TerminalDouble(), _free_port()) as found:
        yield found


@pytest.fixture(autouse=True)
def fresh(double: TerminalDouble) -> Iterator[None]:
    """Each test starts with nothing connected, input allowed and xterm.js served."""
    yield
    double.read_only = False
    double.hide_vendor = False
    double.refuse = False
    double.drop_all()
    double.connections.clear()


def screen(page: Any) -> str:
    """The terminal's rows as text (xterm.js's DOM renderer)."""
    text = page.evaluate(
        """() => [...document.querySelectorAll('#terminal .xterm-rows > div')]
                  .map((row) => row.textContent).join('\\n')"""
    )
    return str(text).replace("\u00a0", " ")


def wait_screen(page: Any, pattern: str, timeout: float = 10) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, screen(page), re.MULTILINE)
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} not on the screen:\n{screen(page)}")


def open_terminal(page: Any, double: TerminalDouble, session_id: int = 1) -> None:
    page.goto(f"{double.base_url}/sessions/{session_id}")
    page.wait_for_selector("#terminal[data-state=connected]")
    wait_screen(page, r"^\$ ")  # bash's prompt
    page.locator("#terminal .xterm").click()


def run(page: Any, command: str) -> None:
    page.keyboard.type(command)
    page.keyboard.press("Enter")


def test_typed_command_shows_its_output_and_the_pane_view_gives_way(
    page: Any, double: TerminalDouble
) -> None:
    errors: list[str] = []  # a CSP refusal, a module that failed to load, an exception
    page.on("console", lambda m: errors.append(f"{m.location['url']}: {m.text}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_terminal(page, double)
    assert page.locator("#pane").is_hidden()
    assert page.locator("#terminal .term-status").inner_text() == "connected"
    connection = double.live()[0]
    assert connection.query["csrf"] == CSRF  # the page's token goes with the handshake
    run(page, "echo hello-$RANDOM")
    wait_screen(page, r"^hello-[0-9]+\s*$")
    assert b"echo hello-$RANDOM\r" in connection.received
    assert [e for e in errors if "favicon.ico" not in e] == []  # the double has no icon


def test_a_resize_follows_the_viewport_and_tput_cols_sees_it(
    page: Any, double: TerminalDouble
) -> None:
    open_terminal(page, double)
    run(page, "tput cols")
    wide = int(page.locator("#terminal").get_attribute("data-cols"))
    wait_screen(page, rf"^{wide}\s*$")
    page.set_viewport_size({"width": 800, "height": 700})
    double.wait_for(lambda: page.locator("#terminal").get_attribute("data-cols") != str(wide))
    narrow = int(page.locator("#terminal").get_attribute("data-cols"))
    assert narrow < wide
    connection = double.live()[0]
    double.wait_for(
        lambda: any(
            c == {"type": "resize", "cols": narrow, "rows": c["rows"]} for c in connection.controls
        )
    )
    page.locator("#terminal .xterm").click()
    run(page, "clear; tput cols")
    wait_screen(page, rf"^{narrow}\s*$")


def test_search_finds_a_match_and_the_selection_is_copied(
    browser: Any, double: TerminalDouble
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        open_terminal(page, double)
        run(page, "echo needle-$((2 + 3))")
        wait_screen(page, r"^needle-5\s*$")
        page.evaluate("() => navigator.clipboard.writeText('before')")
        page.fill("#terminal .term-search input", "needle-5")
        page.press("#terminal .term-search input", "Enter")
        double.wait_for(lambda: page.locator("#terminal .xterm-selection div").count() > 0)
        assert page.evaluate("() => navigator.clipboard.readText()") == "before"
        row = page.locator("#terminal .xterm-rows > div", has_text=re.compile(r"^needle-5"))
        place = row.bounding_box()
        page.mouse.dblclick(place["x"] + 20, place["y"] + 5)  # a word: xterm.js selects it
        double.wait_for(lambda: page.evaluate("() => navigator.clipboard.readText()") == "needle-5")
    finally:
        context.close()


def paste(page: Any, text: str) -> None:
    page.evaluate(
        """(text) => {
             const data = new DataTransfer();
             data.setData('text/plain', text);
             document.querySelector('#terminal textarea').dispatchEvent(
               new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
           }""",
        text,
    )


def test_a_multi_line_paste_arrives_byte_exact(
    page: Any, double: TerminalDouble, tmp_path: Path
) -> None:
    text = "-n first; line\n  - second ; \n-third;"
    target = tmp_path / "pasted"
    open_terminal(page, double)
    connection = double.live()[0]
    # At bash's prompt (readline asks for bracketed paste): one bracketed block, \n sent as \r.
    paste(page, "echo one\necho two;")
    bracketed = b"\x1b[200~echo one\recho two;\x1b[201~"
    double.wait_for(lambda: bracketed in connection.received)
    page.keyboard.press("Control+U")  # leave the prompt empty
    run(page, f"cat > {target}")
    time.sleep(0.3)  # cat is reading: readline has turned bracketed paste off
    before = len(connection.received)
    paste(page, text)
    double.wait_for(lambda: len(connection.received) >= before + len(text))
    page.keyboard.press("Enter")
    page.keyboard.press("Control+D")
    double.wait_for(lambda: target.exists() and target.read_text() == text + "\n")
    assert bytes(connection.received[before:]).startswith(text.replace("\n", "\r").encode())


def test_a_read_only_hello_stops_input_being_sent(page: Any, double: TerminalDouble) -> None:
    double.read_only = True
    page.goto(f"{double.base_url}/sessions/2")
    page.wait_for_selector("#terminal[data-state=read-only]")
    assert page.locator("#terminal .term-status").inner_text() == "read-only"
    page.locator("#terminal .xterm").click()
    page.keyboard.type("echo never")
    page.keyboard.press("Enter")
    paste(page, "pasted too")
    time.sleep(0.5)
    assert double.live()[0].received == b""


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("ended", "closed: ended (the tool exited)"),
        ("revoked", "closed: revoked (the tool exited)"),
    ],
)
def test_a_final_close_shows_its_reason_and_does_not_reconnect(
    page: Any, double: TerminalDouble, reason: str, shown: str
) -> None:
    open_terminal(page, double)
    double.close_all(reason, "the tool exited")
    page.wait_for_selector("#terminal[data-state=closed]")
    assert page.locator("#terminal .term-status").inner_text() == shown
    time.sleep(1.5)  # longer than the first two retries
    assert len(double.connections) == 1


def test_a_dropped_connection_reconnects_and_repaints(page: Any, double: TerminalDouble) -> None:
    open_terminal(page, double)
    run(page, "echo before-$((6 * 7))")
    wait_screen(page, r"^before-42\s*$")
    double.drop_all()
    page.wait_for_selector("#terminal[data-state=reconnecting]")
    assert "reconnecting in 0.5 s" in page.locator("#terminal .term-status").inner_text()
    page.wait_for_selector("#terminal[data-state=connected]")
    assert len(double.connections) == 2
    wait_screen(page, r"^before-42\s*$")  # the repaint after the terminal's reset
    run(page, "echo after-$((6 * 8))")
    wait_screen(page, r"^after-48\s*$")


def test_a_ping_every_25_seconds_and_backoff_doubling_to_10(
    page: Any, double: TerminalDouble
) -> None:
    page.clock.install()
    open_terminal(page, double)
    connection = double.live()[0]
    page.clock.run_for(24_000)
    time.sleep(0.2)
    assert {"type": "ping"} not in connection.controls
    page.clock.run_for(1_500)
    double.wait_for(lambda: {"type": "ping"} in connection.controls)
    double.refuse = True
    double.drop_all()
    status = page.locator("#terminal .term-status")
    waits = []
    for _ in range(6):
        page.wait_for_selector("#terminal[data-state=reconnecting]")
        waits.append(re.search(r"reconnecting in ([0-9.]+) s", status.inner_text()).group(1))
        refused = double.refused
        page.clock.run_for(10_000)
        double.wait_for(lambda: double.refused > refused)  # noqa: B023 (waited for at once)
    assert waits == ["0.5", "1", "2", "4", "8", "10"]


def test_an_idle_close_reconnects(page: Any, double: TerminalDouble) -> None:
    """The protocol reconnects after "idle" and "error": only ended, signed-out and revoked are
    final."""
    open_terminal(page, double)
    double.close_all("idle")
    page.wait_for_selector("#terminal[data-state=reconnecting]")
    assert (
        page.locator("#terminal .term-status").inner_text().startswith("closed: idle; reconnecting")
    )
    page.wait_for_selector("#terminal[data-state=connected]")


def test_on_a_phone_the_terminal_fills_the_screen_and_the_key_bar_sends_bytes(
    browser: Any, double: TerminalDouble
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=3,
    )
    try:
        page = context.new_page()
        open_terminal(page, double)
        box = page.locator("#terminal").bounding_box()
        assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
        keys = page.locator("#terminal .term-keys")
        assert keys.is_visible()
        screen_box = page.locator("#terminal .term-screen").bounding_box()
        assert screen_box["height"] > 844 * 0.75
        connection = double.live()[0]
        before = len(connection.received)
        for key in ("Esc", "Tab"):
            keys.get_by_role("button", name=key, exact=True).tap()
        keys.get_by_role("button", name="Ctrl").tap()
        assert keys.get_by_role("button", name="Ctrl").get_attribute("aria-pressed") == "true"
        page.keyboard.type("c")
        for key in ("Up", "Down", "Right", "Left"):
            keys.get_by_role("button", name=key).tap()
        keys.get_by_role("button", name="Alt").tap()
        keys.get_by_role("button", name="Left").tap()
        for key in ("|", "~", "/"):
            keys.get_by_role("button", name=key, exact=True).tap()
        expected = b"\x1b\t\x03\x1b[A\x1b[B\x1b[C\x1b[D\x1b[1;3D|~/"
        double.wait_for(lambda: bytes(connection.received[before:]) == expected)
        assert keys.get_by_role("button", name="Ctrl").get_attribute("aria-pressed") == "false"
        (OUTPUT / "phone").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "phone" / "terminal.png"))
    finally:
        context.close()


def test_the_sessions_page_previews_at_most_four_read_only(
    page: Any, double: TerminalDouble
) -> None:
    page.set_viewport_size({"width": 1280, "height": 2000})  # all six rows on screen
    page.goto(f"{double.base_url}/sessions?count=6")
    assert page.locator("a.open-terminal").count() == 6
    assert page.locator("a.open-terminal").first.get_attribute("href") == "/sessions/1"
    double.wait_for(lambda: len(double.live()) == 4)
    time.sleep(0.5)
    assert len(double.live()) == 4
    page.wait_for_selector(".term-preview[data-state=read-only] .xterm-rows")
    page.locator(".term-preview").first.click()
    page.keyboard.type("echo no")
    time.sleep(0.3)
    assert all(c.received == b"" for c in double.connections)
    assert all(c.controls == [] for c in double.connections)  # no resize from a preview


def test_until_the_terminal_attaches_the_pane_view_goes_on(
    page: Any, double: TerminalDouble
) -> None:
    """A server without the route (or refusing the handshake): the pane view stays and is
    refreshed while the terminal keeps trying."""
    double.refuse = True
    page.goto(f"{double.base_url}/sessions/4")
    page.wait_for_selector("#terminal[data-state=reconnecting]")
    with page.expect_response(lambda response: response.url.endswith("/sessions/4/pane")):
        pass  # app.js still polls the pane
    assert page.locator("#pane").is_visible()
    double.wait_for(lambda: double.refused >= 2)  # it tries again
    assert double.connections == []


def test_a_preview_scrolled_away_lets_a_visible_one_connect(
    page: Any, double: TerminalDouble
) -> None:
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{double.base_url}/sessions?count=8")
    double.wait_for(double.live)
    time.sleep(0.5)
    first = {c.session_id for c in double.live()}
    assert 1 in first
    assert len(first) <= 4
    page.locator(".term-preview").last.scroll_into_view_if_needed()
    double.wait_for(lambda: 8 in {c.session_id for c in double.live()})
    now = {c.session_id for c in double.live()}
    assert 1 not in now
    assert len(now) <= 4
    assert all(c.query["cols"] == "80" and c.query["rows"] == "24" for c in double.connections)


def test_without_xterm_the_page_keeps_the_read_only_pane(page: Any, double: TerminalDouble) -> None:
    double.hide_vendor = True
    page.goto(f"{double.base_url}/sessions/3")
    page.wait_for_selector("#terminal[data-state=unavailable]", state="attached")
    assert page.locator("#pane").is_visible()
    assert page.locator("#terminal").is_hidden()
    assert page.locator("#pane").inner_text() == "the pane, read-only"
    assert double.connections == []
