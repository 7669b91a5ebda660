"""https tokens: sent as HTTP basic credentials, never written to .git/config or messages.

Plain http on 127.0.0.1 with dulwich's own smart-HTTP server behind a basic-auth check:
the adapter treats http and https alike, and TLS itself is urllib3's business.
"""

from __future__ import annotations

import base64
import gc
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from dulwich.repo import Repo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain

from aiops.adapters.git import DulwichGitWorkspaces
from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed

from .conftest import Git

TOKEN = "ghs_s3cr3t-t0ken"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def requiring_token(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()

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
        # dulwich does not release a 401/404 response (preload_content=False), so its socket
        # waits in a reference cycle; collect it here rather than warn in a later test.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def test_clone_and_push_with_a_token_that_never_reaches_the_disk(
    workspaces: DulwichGitWorkspaces, http_remote: str, remote: Path, tmp_path: Path
) -> None:
    access = RemoteAccess(https_token=TOKEN)
    target = tmp_path / "alice"

    workspaces.clone(http_remote, target, branch="main", access=access)
    alice = Git(target)
    alice("config", "user.name", "Alice")
    alice("config", "user.email", "alice@example.com")
    ours = alice.commit({"alice.txt": "alice\n"}, "Alice")
    workspaces.push(target, access)
    workspaces.fetch(target, access)

    assert Git(remote).sha("main") == ours
    assert workspaces.origin(target) == http_remote
    stored = b"".join(p.read_bytes() for p in (target / ".git").rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored
    assert TOKEN not in repr(access)
    Git(remote).fsck()


def test_a_wrong_token_is_an_authentication_failure(
    workspaces: DulwichGitWorkspaces, http_remote: str, tmp_path: Path
) -> None:
    with pytest.raises(RemoteFailed, match="authentication failed") as raised:
        workspaces.clone(
            http_remote, tmp_path / "alice", branch="main", access=RemoteAccess(https_token="nope")
        )

    assert "nope" not in raised.value.message
    assert not (tmp_path / "alice").exists()
