"""The secret hygiene canary: a tracker token and a webhook secret set to unique strings, used
for everything a connection does (add, test, sync, webhook, failure), must never appear in a log
line, a command's output, an error, a page, the database file, or any process's command line.

The instance is real: the CLI and `aiops serve` in subprocesses, the fake GitHub over HTTP, a
SQLite file. The token is proven to be stored (sealed, it opens to the canary), so the test
could find it if it leaked."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import attrs
import httpx
import pytest

from aiops.adapters.fernet_secret_box import FernetSecretBox
from tests.accounts import IS_ROOT, open_folder, service_user
from tests.integration.test_cli import AIOPS, Cli
from tests.integration.trackers.fake_github import FakeGitHub
from tests.serving import wait_until_healthy

TOKEN = "ghp_CANARY_token_5e0c2b9d71"
HOOK = "CANARY_hook_8a4f6d2e19"
CANARIES = (TOKEN, HOOK)


@attrs.define
class CmdlineWatch:
    """Reads every process's command line until stopped; keeps any that holds a canary."""

    hits: list[str] = attrs.field(factory=list)
    seen_pids: set[int] = attrs.field(factory=set)
    rounds: int = 0
    _stop: threading.Event = attrs.field(factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue
                self.seen_pids.add(int(entry.name))
                self.hits += [cmdline for canary in CANARIES if canary in cmdline]
            self.rounds += 1
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture
def watch() -> Iterator[CmdlineWatch]:
    watch = CmdlineWatch()
    thread = threading.Thread(target=watch.run, daemon=True)
    thread.start()
    yield watch
    watch.stop()
    thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(
    sqlite_template: Path, github: FakeGitHub, github_url: str
) -> Iterator[tuple[Cli, str, int]]:
    """An instance with one GitHub connection (canary token and webhook secret), served by
    `aiops serve` with debug logs (started as root, as CI runs it: it serves as a service
    account, so the instance lies where that account can reach it); yields the CLI, the
    server's URL and its pid."""
    home = open_folder("aiops-canary-")
    cli = Cli(
        home,
        AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true",
        AIOPS_LOG_LEVEL="debug",
        AIOPS_WORKSPACE_ROOT=str(home / "home"),
        AIOPS_SERVICE_USER=service_user() if IS_ROOT else "aiops",
    )
    cli.start_upgraded(sqlite_template)
    cli.ok("seed", "--admin-email", "admin@example.com")
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    cli.ok("user", "set-password", "--email", "admin@example.com", "--password-stdin",
           stdin="correct horse battery\n")  # fmt: skip
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "github", "--base-url", github_url,
        "--key", "acme/web", "--token-stdin", "--webhook-secret-stdin",
        stdin=f"{TOKEN}\n{HOOK}\n",
    )  # fmt: skip
    port = free_port()
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [AIOPS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=cli.env, cwd=home, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, home / "server.log", timeout=20)
        yield cli, base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def signed(body: bytes) -> str:
    return "sha256=" + hmac.new(HOOK.encode(), body, hashlib.sha256).hexdigest()


def deliver(base: str, delivery: str) -> httpx.Response:
    # Each delivery's body differs, as a tracker's do (the same body again is a replay).
    body = json.dumps({"action": "edited", "issue": {"number": 1}, "hook": delivery}).encode()
    headers = {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signed(body),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{base}/hooks/github?connection=1", content=body, headers=headers)


def wait_for_webhook_syncs(log: Path, count: int) -> None:
    """Until the server has logged `count` background syncs started by webhooks."""
    deadline = time.monotonic() + 20
    while log.read_text().count("webhook.synced") < count:
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)


def crawl(client: httpx.Client, base: str, limit: int = 150) -> dict[str, str]:
    """Every same-origin page reachable by links from the dashboard (no sign-out, no assets)."""
    pages: dict[str, str] = {}
    queue = ["/"]
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(base + path)
        pages[path] = response.text
        for href in re.findall(r'href="([^"#]+)"', response.text):
            url = urlsplit(urljoin(base + path, href))
            target = url.path + (f"?{url.query}" if url.query else "")
            if (
                f"{url.scheme}://{url.netloc}" == base
                and not url.path.startswith(("/static", "/logout", "/hooks"))
                and target not in pages
            ):
                queue.append(target)
    return pages


def signed_in_pages(base: str) -> tuple[httpx.Response, dict[str, str]]:
    """Sign in as the admin; every page reachable from the dashboard, and two API answers."""
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        login = client.get(f"{base}/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf is not None
        signed_in = client.post(
            f"{base}/login",
            data={"email": "admin@example.com", "password": "correct horse battery",
                  "csrf_token": csrf.group(1), "next": "/"},
        )  # fmt: skip
        pages = crawl(client, base)
        for path in ("/api/v1/issues", "/api/v1/projects"):
            pages[path] = client.get(f"{base}{path}").text
    return signed_in, pages


def test_the_canaries_never_show_anywhere(
    server: tuple[Cli, str, int], github: FakeGitHub, watch: CmdlineWatch
) -> None:
    cli, base, server_pid = server
    home = cli.home
    github.token = TOKEN
    for _ in range(30):
        github.add_issue("acme/web")
    outputs: list[str] = []

    def run(*args: str) -> None:
        result = cli.run(*args)
        outputs.extend([result.stdout, result.stderr])

    run("tracker", "test", "1")
    run("sync-issues", "--json")
    run("tracker", "list", "--json")
    run("issues", "list", "--json")
    accepted = deliver(base, "delivery-1")
    wait_for_webhook_syncs(home / "server.log", 1)
    github.token = "rotated-elsewhere"  # every request now fails with 401
    run("sync-issues", "--full", "--json")
    run("tracker", "test", "1")
    refused = deliver(base, "delivery-2")
    wait_for_webhook_syncs(home / "server.log", 2)
    forged = httpx.post(
        f"{base}/hooks/github?connection=1",
        content=HOOK.encode(),
        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Delivery": HOOK},
    )
    run("audit", "list", "--json")
    signed_in, pages = signed_in_pages(base)
    time.sleep(0.1)
    watch.stop()
    server_log = (home / "server.log").read_text()
    instance = home / "instance"
    database = b"".join(path.read_bytes() for path in instance.glob("aiops.db*"))
    key = (instance / "secret.key").read_text().strip()
    listed = cli.json("tracker", "list")

    # The scenario happened as intended ...
    assert (accepted.status_code, refused.status_code, forged.status_code) == (202, 202, 401)
    assert signed_in.url.path == "/"
    assert "/issues" in pages
    assert any(path.startswith("/admin") for path in pages)
    assert len(pages) >= 8
    assert "Issue 30" in pages["/issues"]
    assert listed[0]["last_error"] == "127.0.0.1: the token was refused"
    assert "webhook.rejected" in server_log
    assert watch.rounds > 10
    assert server_pid in watch.seen_pids
    box = FernetSecretBox(key)
    with sqlite3.connect(instance / "aiops.db") as db:
        sealed = db.execute("SELECT token_sealed, webhook_secret_sealed FROM tracker_connections")
        assert [box.open(value) for value in sealed.fetchone()] == [TOKEN, HOOK]
    # ... and no canary escaped.
    shown = {
        "command output": "\n".join(outputs),
        "server log": server_log,
        "pages": "\n".join(pages.values()),
        "database file": database.decode("latin-1"),
        "process command lines": "\n".join(watch.hits),
        "environment of this test": json.dumps(dict(os.environ)),
    }
    leaks = {where for where, text in shown.items() for canary in CANARIES if canary in text}
    assert leaks == set()
