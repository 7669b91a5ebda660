"""A real browser against a real server: Debian's Chromium driven by Playwright, and
`aiops serve` on 127.0.0.1 with a fresh instance folder and a seeded admin."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tests.accounts import IS_ROOT, open_folder, service_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AIOPS = str(Path(sys.executable).with_name("aiops"))
OUTPUT = Path(__file__).parent / "output"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the tests' ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`) the browser tests share one worker: one Chromium, and
    each module's server started once."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def _grouped(request: pytest.FixtureRequest) -> None:
    """Fails a browser test that xdist's `--dist loadgroup` did not put in the group (it once
    silently stopped grouping: pytest 9.2 with xdist 3.8), instead of the module's later tests
    failing on another worker without the state the earlier ones made."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@browser"), request.node.nodeid


@attrs.frozen
class LiveServer:
    base_url: str
    admin_email: str
    admin_password: str
    env: dict[str, str] = attrs.field(factory=dict)  # for `aiops` commands on its instance


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    """More settings for the module's server: a test module overrides this fixture to add some."""
    return {}


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder for what the server reads (a remote, playbooks): started as root, it serves as
    the service account, which cannot enter pytest's own (root-only) temporary folders."""
    folder = open_folder("aiops-browser-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def live_server(live_server_env: dict[str, str]) -> Iterator[LiveServer]:
    """`aiops serve` started as the tests run it (as root, CI does): it starts the launcher
    and serves as a service account made for this test process."""
    home = open_folder("aiops-live-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")} | {
        "AIOPS_SERVICE_USER": service_user() if IS_ROOT else "aiops",
        "AIOPS_INSTANCE_PATH": str(home / "instance"),
        "AIOPS_WORKSPACE_ROOT": str(home / "workspaces"),
        "AIOPS_ARGON2_TIME_COST": "2",
        "AIOPS_ARGON2_MEMORY_KIB": str(19 * 1024),
        "AIOPS_ARGON2_PARALLELISM": "1",
        **live_server_env,
    }
    subprocess.run([AIOPS, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run(
        [AIOPS, "seed", "--admin-email", "admin@example.com"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    login = re.search(r"sign in with: (\S+) / (\S+)", seeded.stdout)
    assert login, seeded.stdout
    port = _free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [AIOPS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, home / "server.log")
        yield LiveServer(
            base_url=base, admin_email=login.group(1), admin_password=login.group(2), env=env
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_up(base: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"aiops serve did not come up:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed: run `make system-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context; its screenshots go to tests/browser/output/<test>/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.output = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    page.output.mkdir(parents=True, exist_ok=True)
    yield page
    page.screenshot(path=str(page.output / "last.png"), full_page=True)
    context.close()
