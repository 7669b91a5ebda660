"""The issue-to-pull-request loop's world (issue 19), for its end-to-end tests and its
benchmark (bench/pr_loop.py): a real `aiops serve` (started as root, its workers the service
account) with its loop thread; the fake GitHub, GitLab or Jira (+ GitHub as the code host)
served over HTTP on 127.0.0.1 in this process; a bare git remote (the project's repo_url) the
member's account may push to; the member's agent in tmux as a throwaway Linux account:
tests/fakes/agents/pr_agent launched as `codex`. The project has auto_pull_request and
auto_review_to_agent on.

`Host` reads what aiops wrote through the fake's own HTTP API (as a person's browser would)
and counts the writes in the fake's request log; `review` and `merge` change the fake's state
and return the webhook delivery the tracker would send, which `World.webhook` signs and posts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

import aiops
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import open_folder, service_user
from tests.integration.git.conftest import GIT_ENV, make_remote, trusting
from tests.integration.test_cli import AIOPS, Cli
from tests.integration.tmux.conftest import tmux_as_owner
from tests.integration.trackers import fake_github, fake_gitlab, fake_jira
from tests.integration.trackers.fake_server import serve_app
from tests.serving import wait_until_healthy

AGENT = Path(__file__).parent / "fakes" / "agents" / "pr_agent"
SOURCE = Path(aiops.__file__).parents[1]  # the tree under test, for the hook command too
EMAIL = "ana@example.com"
NAME = "Ana Lopes"
SECRET = "whsec-e2e-5f1c"
SOCKET_NAME = "aiops-pr-loop"
TITLE = "Fix login"
# What a reviewer wrote: shell and Markdown characters that must reach the agent unchanged.
REVIEW_BODY = "Rename `login()` to \"sign_in\"; keep $HOME & 'quotes' <b>as is</b> (see #2)"
REVIEW_PATH = "src/app.py"
REVIEW_LINE = 1
REVIEWER = "rita"
COMMITTED = re.compile(r"committed ([0-9a-f]{40})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def until(what: str, check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(every)


class Arrivals:
    """An ASGI wrapper noting when each write (POST, PUT) reached the fake (time.time())."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.writes: list[tuple[float, str, str]] = []  # (when, method, path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            self.writes.append((time.time(), scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def first(self, method: str, pattern: str, after: float) -> float | None:
        wanted = re.compile(pattern)
        return next(
            (t for t, m, p in self.writes if t >= after and m == method and wanted.search(p)),
            None,
        )


# --- the code hosts and issue trackers, as the tests see them ------------------------------


@attrs.define
class Host:
    """A fake code host (GitHub or GitLab), which may also be the issue tracker."""

    kind: str  # github | gitlab
    url: str
    fake: Any
    key: str  # acme/web, acme/platform/web
    arrivals: Arrivals

    def headers(self) -> dict[str, str]:
        if self.kind == "github":
            return {"Authorization": f"Bearer {self.fake.token}"}
        return {"PRIVATE-TOKEN": self.fake.token}

    def _get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, headers=self.headers(), timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def project_path(self) -> str:
        """The API path of the repository (GitHub) or project (GitLab)."""
        if self.kind == "github":
            return f"/repos/{self.key}"
        return f"/api/v4/projects/{self.fake.project(self.key).id}"

    def pulls(self) -> list[dict[str, Any]]:
        """Every pull (merge) request: number, head, base, title, body, url, state."""
        if self.kind == "github":
            found = self._get(f"{self.project_path()}/pulls", state="all")
            return [
                {
                    "number": p["number"],
                    "head": p["head"]["ref"],
                    "base": p["base"]["ref"],
                    "title": p["title"],
                    "body": p.get("body") or "",
                    "url": p["html_url"],
                    "state": "merged" if p.get("merged_at") else p["state"],
                }
                for p in found
            ]
        found = self._get(f"{self.project_path()}/merge_requests", state="all")
        return [
            {
                "number": m["iid"],
                "head": m["source_branch"],
                "base": m["target_branch"],
                "title": m["title"],
                "body": m.get("description") or "",
                "url": m["web_url"],
                "state": {"opened": "open"}.get(m["state"], m["state"]),
            }
            for m in found
        ]

    def comments(self, issue: str) -> list[str]:
        """The bodies of the comments on issue `issue` ("#1")."""
        number = issue.lstrip("#")
        if self.kind == "github":
            found = self._get(f"{self.project_path()}/issues/{number}/comments")
            return [c["body"] for c in found]
        found = self._get(f"{self.project_path()}/issues/{number}/notes")
        return [n["body"] for n in found if not n.get("system")]

    def opened_pulls(self) -> int:
        path = "/pulls" if self.kind == "github" else "/merge_requests"
        return sum(1 for r in self.fake.requests if r.method == "POST" and r.path.endswith(path))

    def posted_comments(self) -> int:
        wanted = re.compile(r".*/issues/\d+/(comments|notes)$")
        return sum(1 for r in self.fake.requests if r.method == "POST" and wanted.match(r.path))

    def review(self, number: int) -> tuple[str, dict[str, Any]]:
        """A reviewer requests changes with one unresolved comment on REVIEW_PATH."""
        fake = self.fake
        if self.kind == "github":
            fake.add_review(self.key, number, user=REVIEWER, state="CHANGES_REQUESTED")
            fake.add_thread(self.key, number, path=REVIEW_PATH, line=REVIEW_LINE,
                            body=REVIEW_BODY, author=REVIEWER)  # fmt: skip
            payload = fake.webhook_payload(self.key, number, "submitted")
            payload["review"] = {"state": "changes_requested", "user": {"login": REVIEWER}}
            return "pull_request_review", payload
        fake.add_discussion(self.key, number, file=REVIEW_PATH, line=REVIEW_LINE,
                            body=REVIEW_BODY, author=REVIEWER)  # fmt: skip
        merge_request = fake.webhook_payload(self.key, number)
        return "Note Hook", {
            "object_kind": "note",
            "event_type": "note",
            "project": merge_request["project"],
            "merge_request": merge_request["object_attributes"],
            "object_attributes": {"noteable_type": "MergeRequest", "note": REVIEW_BODY},
        }

    def merge(self, number: int) -> tuple[str, dict[str, Any]]:
        """The code host merges the pull request."""
        self.fake.merge(self.key, number)
        if self.kind == "github":
            return "pull_request", self.fake.webhook_payload(self.key, number, "closed")
        return "Merge Request Hook", self.fake.webhook_payload(self.key, number, "merge")


@attrs.define
class JiraIssues:
    """The Jira side of the Jira-with-GitHub story: comments on an issue."""

    url: str
    fake: Any

    def comments(self, issue: str) -> list[str]:
        token = base64.b64encode(self.fake.token.encode()).decode()
        response = httpx.get(
            f"{self.url}/rest/api/3/issue/{issue}/comment",
            headers={"Authorization": f"Basic {token}"},
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return [adf_text(c["body"]) for c in response.json()["comments"]]

    def posted_comments(self) -> int:
        return sum(
            1 for r in self.fake.requests if r.method == "POST" and r.path.endswith("/comment")
        )


def adf_text(node: Any) -> str:
    """The text of an ADF document (a link as its text then its href), or a plain string."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(adf_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    text = str(node.get("text", ""))
    for mark in node.get("marks", []):
        if mark.get("type") == "link":
            text += f" ({mark['attrs']['href']})"
    inner = adf_text(node.get("content", []))
    return text + inner + ("\n" if node.get("type") == "paragraph" else "")


# --- the instance ------------------------------------------------------------------------


@attrs.define
class World:
    cli: Cli
    url: str
    token: str
    tmux_socket: Path
    remote: Path
    host: Host  # the code host
    connection_id: int  # the code host's connection (its webhooks go there)
    tracker: Host | JiraIssues  # where the issues are
    home: Path

    def api(self, method: str, path: str, body: object = None) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def webhook(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver `payload` as the code host would, signed with the connection's secret."""
        body = json.dumps(payload).encode()
        delivery = str(uuid.uuid4())
        if self.host.kind == "github":
            digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "X-Hub-Signature-256": f"sha256={digest}",
                "X-GitHub-Delivery": delivery,
                "X-GitHub-Event": event,
            }
        else:
            headers = {
                "X-Gitlab-Token": SECRET,
                "X-Gitlab-Webhook-UUID": delivery,
                "X-Gitlab-Event": event,
            }
        response = httpx.post(
            f"{self.url}/hooks/{self.host.kind}?connection={self.connection_id}",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 202, response.text

    def pane(self, target: str) -> str:
        """The whole pane, history and all, wrapped lines joined."""
        return tmux_as_owner(
            self.tmux_socket, "capture-pane", "-p", "-J", "-S", "-", "-t", target
        ).stdout

    def type_into(self, target: str, text: str) -> None:
        """Type `text` literally into the pane, then Enter (as a person would)."""
        for keys in (("-l", text), ("Enter",)):
            done = tmux_as_owner(self.tmux_socket, "send-keys", "-t", target, *keys)
            assert done.returncode == 0, done.stderr

    def commits_in(self, target: str) -> list[str]:
        """The commits the agent in `target` reported making, in order."""
        return COMMITTED.findall(self.pane(target))

    def remote_head(self, branch: str) -> str:
        done = subprocess.run(
            ["git", "--git-dir", str(self.remote), "rev-parse", "-q", "--verify",
             f"refs/heads/{branch}"],
            capture_output=True, text=True, env=GIT_ENV, check=False,
        )  # fmt: skip
        return done.stdout.strip()

    def remote_files(self, branch: str) -> list[str]:
        done = subprocess.run(
            ["git", "--git-dir", str(self.remote), "ls-tree", "-r", "--name-only", branch],
            capture_output=True, text=True, env=GIT_ENV, check=True,
        )  # fmt: skip
        return done.stdout.split()

    def issue(self, number: str) -> dict[str, Any]:
        """The synced issue `number` ("#1", "OPS-1") as the API shows it."""
        response = self.api("GET", "/api/v1/issues?per_page=100")
        assert response.status_code == 200, response.text
        (found,) = [i for i in response.json()["issues"] if i["remote"]["number"] == number]
        assert isinstance(found, dict)
        return found

    def work(self, issue_id: int) -> tuple[dict[str, Any], str]:
        """ "Work on it" with the fake agent: the API's answer, and the agent's tmux target."""
        started = self.api("POST", f"/api/v1/issues/{issue_id}/work", {"tool": "codex"})
        assert started.status_code == 201, started.text
        work = started.json()
        session = work["session"]
        return work, f"={session['tmux_session']}:={session['tmux_window']}"

    def pull_requests(self, issue_id: int | None = None) -> list[dict[str, Any]]:
        query = "" if issue_id is None else f"?issue_id={issue_id}"
        response = self.api("GET", f"/api/v1/pull-requests{query}")
        assert response.status_code == 200, response.text
        found = response.json()["pull_requests"]
        assert isinstance(found, list)
        return found

    def comments(self, issue: str) -> list[str]:
        return self.tracker.comments(issue)

    def log(self) -> str:
        return (self.home / "server.log").read_text(errors="replace")[-4000:]


def shared_remote(folder: Path, account: LinuxAccount) -> Path:
    """A bare remote on `main` that the member's account may push to (and trusts)."""
    remote = make_remote(folder)
    subprocess.run(["git", "--git-dir", str(remote), "config", "core.sharedRepository", "0777"],
                   check=True, env=GIT_ENV)  # fmt: skip
    subprocess.run(["chmod", "-R", "a+rwX", str(folder)], check=True)
    trusting(account, remote, user_name=NAME, user_email=EMAIL)
    return remote


def instance(home: Path, account: LinuxAccount, tmux_tmpdir: Path, **env: str) -> Cli:
    cli = Cli(
        home,
        AIOPS_SERVICE_USER=service_user(),
        AIOPS_WORKSPACE_ROOT=str(home / "home"),
        AIOPS_TMUX_TMPDIR=str(tmux_tmpdir),
        AIOPS_TMUX_SOCKET_NAME=SOCKET_NAME,
        AIOPS_LINUX_USER_MAPPING=json.dumps({EMAIL: account.name}),
        AIOPS_AGENT_COMMANDS=json.dumps({"codex": [str(AGENT)]}),
        AIOPS_AGENT_ENV=json.dumps({"codex": {"PYTHONPATH": str(SOURCE)}}),
        AIOPS_USE_LOGIN_SHELL="false",
        AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS="true",
        **env,
    )
    (home / "home").mkdir(mode=0o755)
    return cli


def connect(cli: Cli, provider: str, base: str, key: str, token: str) -> int:
    """A tracker connection of project 1 with the webhook SECRET; its id."""
    out = cli.ok("tracker", "add", "--project-id", "1", "--provider", provider,
                 "--base-url", base, "--key", key, "--token-stdin",
                 "--webhook-secret-stdin", stdin=f"{token}\n{SECRET}\n")  # fmt: skip
    return int(out.strip())


def served_fake(stack: ExitStack, module: Any, fake: Any) -> tuple[str, Arrivals]:
    arrivals = Arrivals(module.make_app(lambda: fake))
    return stack.enter_context(serve_app(arrivals, name=module.__name__)), arrivals


def trackers(
    stack: ExitStack, cli: Cli, kind: str, titles: list[str]
) -> tuple[Host, int, Host | JiraIssues]:
    """The fakes for `kind` with an issue per title, connected to project 1: the code host,
    its connection's id, and the issue tracker."""
    if kind == "gitlab":
        gitlab = fake_gitlab.FakeGitLab()
        gitlab.add_project("acme/platform/web")
        for title in titles:
            item = gitlab.add_issue("acme/platform/web")
            item.update(title=title, state="opened")
        url, arrivals = served_fake(stack, fake_gitlab, gitlab)
        host = Host("gitlab", url, gitlab, "acme/platform/web", arrivals)
        return host, connect(cli, "gitlab", url, host.key, gitlab.token), host
    github = fake_github.FakeGitHub()
    github.add_repo("acme/web")
    url, arrivals = served_fake(stack, fake_github, github)
    host = Host("github", url, github, "acme/web", arrivals)
    tracker: Host | JiraIssues = host
    if kind == "jira":
        jira = fake_jira.FakeJira()
        jira.add_project("OPS", "Operations")
        for title in titles:
            item = jira.add_issue("OPS")
            item.update(summary=title, done=False)
        jira_url, _ = served_fake(stack, fake_jira, jira)
        connect(cli, "jira", jira_url, "OPS", jira.token)
        tracker = JiraIssues(jira_url, jira)
    else:
        for title in titles:
            github.add_issue("acme/web").update(title=title, state="open")
    return host, connect(cli, "github", url, "acme/web", github.token), tracker


@contextmanager
def pr_loop_world(
    kind: str,
    *,
    account: LinuxAccount,
    tmux_tmpdir: Path,
    titles: list[str] | None = None,
    database_url: str | None = None,
    **env: str,
) -> Iterator[World]:
    """`kind` is github, gitlab or jira (issues on Jira, the code host GitHub). One project
    (acme/web, repo_url the bare remote), Ana a member mapped to `account`, an issue per
    title (default: TITLE), synced; `aiops serve` running until the block ends."""
    with ExitStack() as stack:
        home = open_folder("aiops-pr-loop-")
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        database = {"AIOPS_DATABASE_URL": database_url} if database_url else {}
        cli = instance(home, account, tmux_tmpdir, AIOPS_URL=url, **database, **env)
        remote = shared_remote(home / "remote", account)
        cli.ok("db", "upgrade")
        cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
        cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
               "--repo-url", str(remote))  # fmt: skip
        cli.ok("user", "create", "--email", EMAIL, "--name", NAME)
        cli.ok("member", "add", "--tenant", "acme", "--email", EMAIL, "--role", "member")
        token = cli.ok("token", "create", "--email", EMAIL, "--name", "e2e").strip()
        host, connection, tracker = trackers(stack, cli, kind, titles or [TITLE])
        cli.ok("sync-issues")
        cli.ok("project", "update", "1", "--auto-pull-request", "--auto-review-to-agent")
        log = (home / "server.log").open("w")
        stack.callback(log.close)
        process = subprocess.Popen(
            [AIOPS, "serve", "--port", str(port)],
            env=cli.env, cwd=home, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        tmux_socket = tmux_tmpdir / f"tmux-{account.uid}" / SOCKET_NAME

        def stop() -> None:
            process.terminate()
            process.wait(timeout=15)
            if tmux_socket.exists():
                tmux_as_owner(tmux_socket, "kill-server")

        stack.callback(stop)
        wait_until_healthy(url, home / "server.log")
        yield World(
            cli=cli,
            url=url,
            token=token,
            tmux_socket=tmux_socket,
            remote=remote,
            host=host,
            connection_id=connection,
            tracker=tracker,
            home=home,
        )


@contextmanager
def tmux_tmpdir() -> Iterator[Path]:
    """AIOPS_TMUX_TMPDIR as /tmp is (every account makes its own tmux-<uid> in it); each
    tmux server below it is killed at the end."""
    folder = open_folder("aiops-pr-loop-tmux-")
    tmpdir = folder / "tmux"
    tmpdir.mkdir()
    tmpdir.chmod(0o1777)
    try:
        yield tmpdir
    finally:
        for found in folder.rglob("*"):
            if found.is_socket():
                tmux_as_owner(found, "kill-server")
        shutil.rmtree(folder, ignore_errors=True)
