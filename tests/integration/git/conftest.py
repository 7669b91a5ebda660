"""Real repositories on disk for the git adapter: a bare "remote" made with the git CLI, and
user clones (alice, bob) to make divergence and conflicts. The git CLI checks every result.

The adapter runs git through the in-process launcher (as root, as CI does): as aiops's own
account for trees the tests make as root, as a throwaway account where a test says so."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from dulwich.repo import Repo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.model.workspaces import RemoteAccess
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, throwaway_account

# Commits made by the tests never depend on the machine's global git config.
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}
NO_ACCESS = RemoteAccess()


class Git:
    """The git CLI in one folder: the independent witness of what the adapter did (as the
    tree's account, when given: git refuses another account's repository)."""

    def __init__(self, path: Path, account: LinuxAccount | None = None) -> None:
        self.path = path
        self.account = account

    def __call__(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=GIT_ENV,
            check=False,
            **as_account(self.account),
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def commit(self, files: dict[str, str], message: str) -> str:
        for name, content in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(content)
            if self.account is not None:
                os.chown(self.path / name, self.account.uid, self.account.gid)
        self("add", "--", *files)
        self("commit", "-q", "-m", message)
        return self.sha("HEAD")

    def sha(self, rev: str) -> str:
        return self("rev-parse", "--verify", "-q", f"{rev}^{{commit}}").strip()

    def porcelain(self) -> str:
        return self("status", "--porcelain")

    def snapshot(self) -> tuple[str, dict[str, str], str]:
        """Status, every file's content, HEAD and the local branches: to prove nothing changed."""
        files = {
            str(p.relative_to(self.path)): p.read_text()
            for p in sorted(self.path.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(self.path).parts
        }
        return self.porcelain(), files, self("show-ref", "--head", "--heads", check=False)

    def fsck(self) -> None:
        result = subprocess.run(
            ["git", "-C", str(self.path), "fsck", "--full", "--no-dangling"],
            capture_output=True,
            text=True,
            env=GIT_ENV,
            check=False,
            **as_account(self.account),
        )
        assert result.returncode == 0, result.stdout + result.stderr


def as_account(account: LinuxAccount | None) -> dict[str, Any]:
    """subprocess arguments that run a witness as `account` (as root; None: as is)."""
    if account is None:
        return {}
    return {"user": account.uid, "group": account.gid, "extra_groups": [], "cwd": "/"}


def git_clone(source: Path | str, target: Path) -> Git:
    subprocess.run(
        ["git", "clone", "-q", str(source), str(target)],
        check=True,
        env=GIT_ENV,
        capture_output=True,
    )
    clone = Git(target)
    clone("config", "user.name", target.name.title())
    clone("config", "user.email", f"{target.name}@example.com")
    return clone


def make_remote(tmp_path: Path) -> Path:
    """A bare repository on `main` (README, src/app.py) with a `feature` branch."""
    bare = tmp_path / "remote.git"
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True, env=GIT_ENV
    )
    seed = git_clone(bare, tmp_path / "seed")
    seed("symbolic-ref", "HEAD", "refs/heads/main")
    seed.commit({"README.md": "hello\n", "src/app.py": "print('v1')\n"}, "Initial commit")
    seed("push", "-q", "origin", "main")
    seed("checkout", "-q", "-b", "feature")
    seed.commit({"feature.txt": "feature\n"}, "Add the feature")
    seed("push", "-q", "origin", "feature")
    return bare


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path)


def workspaces_in(root: Path, known_hosts: Path, *, accept_new: bool = False) -> GitCliWorkspaces:
    """The adapter with the in-process launcher, workspaces under `root`."""
    return GitCliWorkspaces(
        launcher=launcher_as_root(root), known_hosts=known_hosts, accept_new_host_keys=accept_new
    )


@pytest.fixture
def workspaces(tmp_path: Path) -> GitCliWorkspaces:
    return workspaces_in(tmp_path / "home", tmp_path / "known_hosts")


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Where alice's clone of `web` goes: `<root>/<name>/workspace/<project>`."""
    return tmp_path / "home" / "alice" / "workspace" / "web"


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder every account may pass through (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-git-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def account() -> Iterator[LinuxAccount]:
    """A throwaway Linux account (the tests run as root, as CI does)."""
    with throwaway_account("aiops-g") as made:
        yield made


def trusting(account: LinuxAccount, *repositories: Path, **config: str) -> None:
    """The account's own ~/.gitconfig: trust the tests' shared remotes (root's: git refuses
    another account's repository unless told), plus any `section.key=value` given."""
    lines = [f"[safe]\n\tdirectory = {path}\n" for path in repositories]
    lines += [
        f"[{key.split('_')[0]}]\n\t{key.split('_')[1]} = {value}\n" for key, value in config.items()
    ]
    gitconfig = Path(account.home) / ".gitconfig"
    gitconfig.write_text("".join(lines))
    os.chown(gitconfig, account.uid, account.gid)


@pytest.fixture
def alice(remote: Path, tmp_path: Path) -> Git:
    return git_clone(remote, tmp_path / "alice")


@pytest.fixture
def bob(remote: Path, tmp_path: Path) -> Git:
    return git_clone(remote, tmp_path / "bob")


# The token the smart-HTTP remote below requires (as basic auth, user x-access-token).
HTTP_TOKEN = "ghs_s3cr3t-t0ken"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def requiring_token(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    expected = "Basic " + base64.b64encode(f"x-access-token:{HTTP_TOKEN}".encode()).decode()

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_AUTHORIZATION") != expected:
            start_response(
                "401 Unauthorized",
                [("WWW-Authenticate", 'Basic realm="git"'), ("Content-Length", "0")],
            )
            return [b""]
        return app(environ, start_response)

    return guarded


@pytest.fixture
def http_remote(remote: Path) -> Iterator[str]:
    """The bare remote over smart HTTP at http://127.0.0.1:PORT/, behind a token check."""
    repo = Repo(str(remote))
    app = requiring_token(make_wsgi_chain(DictBackend({"/": repo})))
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        repo.close()
