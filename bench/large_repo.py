"""A large generated git repository for tests and benchmarks (issue 16), and git servers for it.

The shape of a big public project's mirror, as a hosting service advertises it:
- 50,000 commits on `main` over 5,000 files of ~4.4 KB (`src/pkgNN/modM/fileNNNNN.py`), each
  commit changing one function in each of three files (~510,000 objects, a 73 MB pack);
  50 branches `feature/NN` with a few commits of their own;
- 600 tags: 400 annotated `vN.M`, 200 lightweight `build-N`;
- 21,000 refs `refs/pull/N/head`: 300 on commits of their own (reachable from nothing else,
  as a pull request from a fork), 18,700 on commits of `main`, and 2,000 on objects the
  repository lacks (a mirror keeps the refs of pull requests whose forks are gone). Those are
  written straight into packed-refs, as a mirror's are: git itself would not make them.

Made with one `git fast-import` (the commits are streamed to its stdin, never one `git commit`
each), in ~10-20 s on a 2-core machine, then cached under `$XDG_CACHE_HOME/aiops-bench/`
(default `~/.cache/aiops-bench/`) in a folder named after GENERATOR: change the shape, bump the
version. Several processes (pytest-xdist workers) asking at once make it once (a file lock).

    .venv/bin/python bench/large_repo.py [--serve]      # prints the path (and serves it)

From Python: `large_repo()` returns the bare repository's path; `git_daemon(path)` and
`http_backend(path)` are context managers that serve it on 127.0.0.1 and yield its URL.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

GENERATOR = "large-repo-v3"  # bump when the shape below changes: the cache is keyed by it
COMMITS = 50_000
FILES = 5_000  # 50 packages x 10 modules x 10 files
BRANCHES = 50
BRANCH_COMMITS = 3
ANNOTATED_TAGS = 400
LIGHT_TAGS = 200
PULL_COMMITS = 300  # pull requests with commits of their own, reachable from nothing else
PULL_ON_MAIN = 18_700
PULL_MISSING = 2_000  # pull refs naming objects the repository lacks
START = 1_600_000_000  # the first commit's time; one commit every 10 minutes after it

SERVE_CONFIG = ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant")
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aiops-bench"


def large_repo() -> Path:
    """The generated bare repository: made once (under a lock), then taken from the cache."""
    root = cache_root()
    repo = root / GENERATOR / "repo.git"
    if (repo / "aiops-generated.json").exists():
        return repo
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{GENERATOR}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (repo / "aiops-generated.json").exists():
            _build(repo)
    return repo


def pull_commits(repo: Path) -> list[str]:
    """The commits only refs/pull/* reach: a clone that took one fetched too much."""
    return json.loads((repo / "aiops-generated.json").read_text())["pull_commits"]


def missing_objects(repo: Path) -> list[str]:
    """The ids refs/pull/* name that the repository lacks."""
    return json.loads((repo / "aiops-generated.json").read_text())["missing"]


def _build(repo: Path) -> None:
    """Generate into a temporary folder beside the cache's, then rename it into place."""
    shutil.rmtree(repo.parent, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f"{GENERATOR}-", dir=repo.parent.parent))
    try:
        bare = work / "repo.git"
        _git("init", "-q", "--bare", "-b", "main", str(bare))
        marks = work / "marks"
        importer = subprocess.Popen(
            ["git", "-C", str(bare), "fast-import", "--quiet", f"--export-marks={marks}"],
            stdin=subprocess.PIPE,
            env=GIT_ENV,
        )
        assert importer.stdin is not None
        with importer.stdin as stream:
            _stream(stream)
        if importer.wait() != 0:
            raise RuntimeError("git fast-import failed")
        _git("-C", str(bare), "pack-refs", "--all")
        for name in SERVE_CONFIG:  # partial clones, and their later fetches of single blobs
            _git("-C", str(bare), "config", name, "true")
        shas = _read_marks(marks)
        pulls, missing = _pull_refs(shas)
        _add_packed_refs(bare, pulls)
        record = {
            "generator": GENERATOR,
            "pull_commits": [shas[_pull_mark(n)] for n in range(PULL_COMMITS)],
            "missing": missing,
        }
        (bare / "aiops-generated.json").write_text(json.dumps(record))
        repo.parent.mkdir(parents=True, exist_ok=True)
        bare.rename(repo)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, env=GIT_ENV, capture_output=True)


# The fast-import stream ------------------------------------------------------------------


def _path(n: int) -> str:
    return f"src/pkg{n // 100:02d}/mod{n // 10 % 10}/file{n:05d}.py"


FUNCTIONS = 40  # a module of ~4.4 KB, of which a commit changes one function


def _content(n: int, revision: int) -> bytes:
    body = "".join(
        f'def f{n}_{k}(value, scale={k}):\n    """Scale {k} of module {n}."""\n'
        f"    total = value * scale + {revision if k == revision % FUNCTIONS else n}\n"
        "    return total\n\n"
        for k in range(FUNCTIONS)
    )
    return f'"""Module {n}, revision {revision}."""\n\n{body}'.encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _commit(ref: str, mark: int, when: int, message: str, parent: int | None) -> bytes:
    who = b"Gen Erator <gen@example.com> %d +0000\n" % when
    head = b"commit %s\nmark :%d\nauthor %scommitter %s" % (ref.encode(), mark, who, who)
    head += _data(message.encode())
    return head + (b"from :%d\n" % parent if parent is not None else b"")


def _change(path: str, content: bytes) -> bytes:
    return b"M 100644 inline %s\n%s" % (path.encode(), _data(content))


def _branch_mark(b: int, k: int) -> int:
    return COMMITS + 1 + b * BRANCH_COMMITS + k


def _pull_mark(n: int) -> int:
    return COMMITS + 1 + BRANCHES * BRANCH_COMMITS + n


def _main(out: IO[bytes]) -> None:
    """Commit i of main is mark :i: the first adds every file, each later one changes three
    (one function each), as a real commit touches a few files in a few folders."""
    files = b"".join(_change(_path(n), _content(n, 0)) for n in range(FILES))
    readme = _change("README.md", b"# generated\n")
    out.write(_commit("refs/heads/main", 1, START, "Initial import", None) + readme + files)
    for i in range(2, COMMITS + 1):
        n = i * 7919 % FILES
        head = _commit("refs/heads/main", i, START + 600 * i, f"Change module {n} (#{i})", i - 1)
        touched = (n, (n + 1) % FILES, (n * 13 + FILES // 2) % FILES)  # in 2-3 folders
        out.write(head + b"".join(_change(_path(m), _content(m, i)) for m in touched) + b"\n")


def _branches(out: IO[bytes]) -> None:
    """feature/NN: a few commits of its own, from a commit of main 500 x NN back."""
    for b in range(BRANCHES):
        parent = COMMITS - 500 * b
        for k in range(BRANCH_COMMITS):
            mark = _branch_mark(b, k)
            head = _commit(
                f"refs/heads/feature/{b:02d}", mark, START + 600 * (COMMITS + mark),
                f"Feature {b}, step {k}", parent,
            )  # fmt: skip
            out.write(head + _change(f"features/f{b:02d}.txt", b"feature %d step %d\n" % (b, k)))
            out.write(b"\n")
            parent = mark


def _pulls(out: IO[bytes]) -> None:
    """refs/pull/N/head with a commit of its own (a fork's), on a commit of main."""
    for n in range(PULL_COMMITS):
        head = _commit(
            f"refs/pull/{n + 1}/head", _pull_mark(n), START + 600 * (COMMITS + n),
            f"Pull request {n + 1}", COMMITS - 37 * n,
        )  # fmt: skip
        out.write(head + _change(f"pulls/p{n:04d}.txt", b"pull request %d\n" % n) + b"\n")


def _tags(out: IO[bytes]) -> None:
    who = b"Gen Erator <gen@example.com> %d +0000\n" % (START + 600 * COMMITS)
    for t in range(ANNOTATED_TAGS):
        tag = b"tag v%d.%d\nfrom :%d\ntagger %s" % (t // 20, t % 20, 100 + t * 120, who)
        out.write(tag + _data(b"Release %d\n" % t))
    for t in range(LIGHT_TAGS):
        out.write(b"reset refs/tags/build-%d\nfrom :%d\n\n" % (t, 50 + t * 240))


def _stream(out: IO[bytes]) -> None:
    """Every commit, branch and tag, in fast-import's language."""
    _main(out)
    _branches(out)
    _pulls(out)
    _tags(out)
    out.write(b"done\n")


# Refs fast-import will not write ----------------------------------------------------------


def _read_marks(marks: Path) -> dict[int, str]:
    pairs = (line.split() for line in marks.read_text().splitlines())
    return {int(mark[1:]): sha for mark, sha in pairs}


def _pull_refs(shas: dict[int, str]) -> tuple[dict[str, str], list[str]]:
    """refs/pull/N/head beyond fast-import's: on main's commits, and on missing objects."""
    refs: dict[str, str] = {}
    number = PULL_COMMITS
    for k in range(PULL_ON_MAIN):
        number += 1
        refs[f"refs/pull/{number}/head"] = shas[1 + k * 7 % COMMITS]
    missing = [
        hashlib.sha1(b"gone %d" % k, usedforsecurity=False).hexdigest() for k in range(PULL_MISSING)
    ]
    for sha in missing:
        number += 1
        refs[f"refs/pull/{number}/head"] = sha
    return refs, missing


def _add_packed_refs(bare: Path, extra: dict[str, str]) -> None:
    """Merge `extra` into packed-refs, sorted, each annotated tag's peeled line kept with it."""
    packed = bare / "packed-refs"
    lines = packed.read_text().splitlines()
    header, blocks = lines[0], {}
    name = ""
    for line in lines[1:]:
        if line.startswith("^"):
            blocks[name].append(line)
        else:
            name = line.split(" ", 1)[1]
            blocks[name] = [line]
    for ref, sha in extra.items():
        blocks[ref] = [f"{sha} {ref}"]
    if "sorted" not in header:
        raise RuntimeError(f"unexpected packed-refs header: {header}")
    body = [line for ref in sorted(blocks, key=str.encode) for line in blocks[ref]]
    packed.write_text("\n".join([header, *body]) + "\n")


def overlay(repo: Path, where: Path) -> Path:
    """A bare repository at `where` that borrows every object of `repo` (objects/info/
    alternates) and starts with its refs: cheap to make, and free to take new commits without
    touching the cache."""
    _git("init", "-q", "--bare", "-b", "main", str(where))
    (where / "objects" / "info" / "alternates").write_text(f"{repo / 'objects'}\n")
    shutil.copyfile(repo / "packed-refs", where / "packed-refs")
    return where


def add_commit(bare: Path, ref: str, name: str) -> str:
    """One new commit on `ref` of `bare` (changing `name`), made without a work tree."""
    env = GIT_ENV | {
        "GIT_AUTHOR_NAME": "Gen Erator",
        "GIT_AUTHOR_EMAIL": "gen@example.com",
        "GIT_COMMITTER_NAME": "Gen Erator",
        "GIT_COMMITTER_EMAIL": "gen@example.com",
    }

    def git(*args: str, stdin: bytes = b"") -> str:
        done = subprocess.run(
            ["git", "-C", str(bare), *args], input=stdin, env=env, capture_output=True, check=True
        )
        return done.stdout.decode().strip()

    parent = git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
    blob = git("hash-object", "-w", "--stdin", stdin=f"{name} {time.time_ns()}\n".encode())
    listing = git("ls-tree", parent).encode() + b"\n" + f"100644 blob {blob}\t{name}\n".encode()
    entries = sorted(
        {line.split(b"\t", 1)[1]: line for line in listing.splitlines() if line}.items()
    )
    tree = git("mktree", stdin=b"\n".join(line for _, line in entries) + b"\n")
    commit = git("commit-tree", tree, "-p", parent, "-m", f"Add {name}")
    git("update-ref", ref, commit, parent)
    return commit


# Serving it ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def git_daemon(repo: Path) -> Iterator[str]:
    """`git daemon` serving `repo` (read-only) on 127.0.0.1; yields git://127.0.0.1:PORT/NAME."""
    port = free_port()
    argv = [
        "git", "daemon", "--reuseaddr", "--export-all", "--informative-errors",
        "--listen=127.0.0.1", f"--port={port}", f"--base-path={repo.parent}", str(repo.parent),
    ]  # fmt: skip
    process = subprocess.Popen(
        argv,
        env=GIT_ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield f"git://127.0.0.1:{port}/{repo.name}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class _BackendHandler(BaseHTTPRequestHandler):
    """Smart HTTP: each request through `git http-backend` as CGI (protocol v2 too)."""

    protocol_version = "HTTP/1.0"
    root: Path

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _cgi(self) -> None:
        path, _, query = self.path.partition("?")
        env = GIT_ENV | {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._chunked()
        env["CONTENT_LENGTH"] = str(len(body))
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        headers = [
            line.split(":", 1) for line in head.decode("latin-1").split("\r\n") if ":" in line
        ]
        status = next((v.strip() for k, v in headers if k.lower() == "status"), "200 OK")
        self.send_response(int(status.split()[0]), status.partition(" ")[2])
        for key, value in headers:
            if key.lower() != "status":
                self.send_header(key, value.strip())
        self.end_headers()
        self.wfile.write(payload)

    def _chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)


@contextlib.contextmanager
def http_backend(repo: Path) -> Iterator[str]:
    """`git http-backend` (as CGI under a small threaded server) serving `repo` on 127.0.0.1;
    yields http://127.0.0.1:PORT/NAME."""
    handler = type("Handler", (_BackendHandler,), {"root": repo.parent})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/{repo.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--serve", action="store_true", help="serve it over git daemon until Ctrl-C"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    repo = large_repo()
    print(f"{repo} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    print(repo)
    if args.serve:
        with git_daemon(repo) as url, http_backend(repo) as http:
            print(f"serving {url} and {http}; Ctrl-C to stop", file=sys.stderr, flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
