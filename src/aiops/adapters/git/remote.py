"""Reaching a remote with dulwich: the transport for a URL, our own ssh command, https tokens,
and the translation of transport failures into RemoteFailed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import urllib3.exceptions
from dulwich.client import (
    GitClient,
    HTTPProxyUnauthorized,
    HTTPUnauthorized,
    SSHGitClient,
    SSHVendor,
    SubprocessWrapper,
    Urllib3HttpGitClient,
    get_transport_and_path,
)
from dulwich.config import ConfigDict
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository

from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed

TOKEN_USERNAME = "x-access-token"  # noqa: S105 - a username, not a secret; GitHub's name; GitLab and Gitea accept any username


def ssh_argv(
    *,
    destination: str,
    command: str,
    port: int | None,
    key_path: str | None,
    known_hosts: Path,
    accept_new_host_keys: bool,
    protocol_version: int | None = None,
) -> list[str]:
    """The ssh command line: our key only, no prompts, host keys checked against our file."""
    if destination.startswith("-"):
        raise RemoteFailed(f"refusing the ssh host {destination!r}")
    argv = ["ssh", "-x"]
    if key_path is not None:
        argv += ["-i", key_path, "-o", "IdentitiesOnly=yes"]
    argv += [
        "-o",
        "BatchMode=yes",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        f"StrictHostKeyChecking={'accept-new' if accept_new_host_keys else 'yes'}",
    ]
    if port is not None:
        argv += ["-p", str(port)]
    if protocol_version:
        argv += ["-o", f"SetEnv GIT_PROTOCOL=version={protocol_version}"]
    return [*argv, "--", destination, command]


class PinnedSSHVendor(SSHVendor):
    """dulwich's SSH vendor, with the command line of `ssh_argv` and nothing from the user."""

    def __init__(self, *, key_path: str | None, known_hosts: Path, accept_new: bool) -> None:
        self._key_path = key_path
        self._known_hosts = known_hosts
        self._accept_new = accept_new

    def run_command(  # noqa: PLR0917 - dulwich's signature
        self,
        host: str,
        command: bytes,
        username: str | None = None,
        port: int | None = None,
        password: str | None = None,
        key_filename: str | None = None,
        ssh_command: str | None = None,
        protocol_version: int | None = None,
    ) -> SubprocessWrapper:
        argv = ssh_argv(
            destination=f"{username}@{host}" if username else host,
            command=command.decode("utf-8", "surrogateescape"),
            port=port,
            key_path=self._key_path,
            known_hosts=self._known_hosts,
            accept_new_host_keys=self._accept_new,
            protocol_version=protocol_version,
        )
        process = subprocess.Popen(
            argv,
            bufsize=0,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        return SubprocessWrapper(process)


def open_remote(
    url: str, access: RemoteAccess, *, known_hosts: Path, accept_new: bool, operation: str
) -> tuple[GitClient, str]:
    """A dulwich client for `url` and the path to ask it for. Credentials stay in memory."""
    if url.startswith("-"):
        raise RemoteFailed(f"refusing the remote {url!r}")
    scheme = urlsplit(url).scheme
    token = access.https_token if scheme in ("http", "https") else None
    with remote_errors(url):
        client, path = get_transport_and_path(
            url,
            config=ConfigDict(),  # nothing from ~/.gitconfig: no insteadOf, no credential helper
            operation=operation,
            quiet=True,
            username=TOKEN_USERNAME if token else None,
            password=token,
        )
    if isinstance(client, SSHGitClient):
        client.ssh_vendor = PinnedSSHVendor(
            key_path=access.ssh_key_path, known_hosts=known_hosts, accept_new=accept_new
        )
    return client, path


_SSH_REASONS = (
    ("Permission denied", "authentication failed (is the SSH key registered?)"),
    ("Host key verification failed", "the host key is unknown or has changed"),
    ("Could not resolve hostname", "the host is unreachable"),
    ("Connection refused", "the host is unreachable"),
    ("Connection timed out", "the host is unreachable"),
    ("No route to host", "the host is unreachable"),
    ("not a git repository", "the repository does not exist"),
    ("does not appear to be a git repository", "the repository does not exist"),
    ("No such file or directory", "the repository does not exist"),
)


def _reason(error: GitProtocolError) -> str:
    text = str(error)
    for needle, reason in _SSH_REASONS:
        if needle in text:
            return reason
    return text.strip().splitlines()[-1] if text.strip() else "the remote hung up"


@contextmanager
def remote_errors(url: str) -> Iterator[None]:
    """Turn the ways a transport fails into RemoteFailed (the URL never carries the token)."""
    shown = _redacted(url)
    try:
        yield
    except (HTTPUnauthorized, HTTPProxyUnauthorized) as error:
        raise RemoteFailed(f"{shown}: authentication failed (check the token)") from error
    except NotGitRepository as error:
        raise RemoteFailed(f"{shown}: the repository does not exist") from error
    except (HangupException, GitProtocolError) as error:
        raise RemoteFailed(f"{shown}: {_reason(error)}") from error
    except urllib3.exceptions.HTTPError as error:
        raise RemoteFailed(f"{shown}: the host is unreachable ({type(error).__name__})") from error
    except OSError as error:
        raise RemoteFailed(f"{shown}: {error.strerror or error}") from error


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


@contextmanager
def client_closed(client: GitClient) -> Iterator[GitClient]:
    """Close the client's connections (an ssh process, an HTTP pool) when done."""
    try:
        yield client
    finally:
        client.close()
        if isinstance(client, Urllib3HttpGitClient):  # its close() leaves the pool open
            client.pool_manager.clear()
