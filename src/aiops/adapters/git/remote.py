"""Reaching a remote: which kind of URL it is, our own ssh command line, and what git's
complaints mean (RemoteFailed with a reason a user can act on). Pure functions."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from urllib.parse import urlsplit

from aiops.domain.model.workspaces import RemoteFailed

TOKEN_USERNAME = "x-access-token"  # noqa: S105 - a username, not a secret; GitHub's name; GitLab and Gitea accept any username


class Transport(enum.Enum):
    LOCAL = "local"  # a path or file:// URL: no credentials
    SSH = "ssh"
    HTTP = "http"  # http or https: a token, when the project has one


_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>\[[^\]]+\]|[^:/]+):(?!//)")


def transport(url: str) -> Transport:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return Transport.HTTP
    if scheme in ("ssh", "git+ssh", "ssh+git"):
        return Transport.SSH
    if "://" not in url and _SCP_LIKE.match(url) and not url.startswith("/"):
        return Transport.SSH  # git@host:team/app.git
    return Transport.LOCAL


def known_hosts_name(url: str) -> str | None:
    """How ssh names the URL's host in known_hosts: `host`, or `[host]:port` off port 22."""
    if transport(url) is not Transport.SSH:
        return None
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return f"[{host}]:{parts.port}" if parts.port not in (None, 22) else host
    match = _SCP_LIKE.match(url)
    return match.group("host").strip("[]") if match else None


def refuse_option(url: str) -> None:
    """A URL git could read as an option never reaches it."""
    if url.startswith("-"):
        raise RemoteFailed(f"refusing the remote {url!r}")


# A host that drops the connection would hold a clone (and the request that asked for it) for
# the kernel's two minutes of SYN retries; a git server that answers does so within seconds.
SSH_CONNECT_TIMEOUT = 15


def ssh_argv(*, key_path: str | None, known_hosts: Path, accept_new_host_keys: bool) -> list[str]:
    """The ssh command git runs (it appends port, host and command): our key only, no
    prompts, a bounded wait for the host, host keys checked against our file."""
    argv = ["ssh", "-x"]
    if key_path is not None:
        argv += ["-i", key_path, "-o", "IdentitiesOnly=yes"]
    return [
        *argv,
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={SSH_CONNECT_TIMEOUT}",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        f"StrictHostKeyChecking={'accept-new' if accept_new_host_keys else 'yes'}",
    ]


_REASONS = (
    ("Permission denied (publickey", "authentication failed (is the SSH key registered?)"),
    ("Host key verification failed", "the host key is unknown or has changed"),
    ("Authentication failed", "authentication failed (check the token)"),
    ("could not read Username", "authentication failed (check the token)"),
    ("could not read Password", "authentication failed (check the token)"),
    ("Could not resolve hostname", "the host is unreachable"),
    ("Could not resolve host", "the host is unreachable"),
    ("Connection refused", "the host is unreachable"),
    ("Failed to connect", "the host is unreachable"),
    ("Connection timed out", "the host is unreachable"),
    ("No route to host", "the host is unreachable"),
    ("dubious ownership", "the repository belongs to another account, which git refuses"),
    ("not a git repository", "the repository does not exist"),
    ("does not appear to be a git repository", "the repository does not exist"),
    ("does not exist", "the repository does not exist"),
    ("not found", "the repository does not exist"),
    ("No such file or directory", "the repository does not exist"),
    ("Permission denied", "permission denied (the account cannot read it)"),
)


def remote_failed(url: str, stderr: bytes) -> RemoteFailed:
    """RemoteFailed for what git said (the URL shown never carries a password)."""
    text = stderr.decode("utf-8", "replace")
    reason = next((why for needle, why in _REASONS if needle in text), None)
    if reason is None:
        lines = [line for line in text.strip().splitlines() if not line.startswith("hint:")]
        reason = lines[-1].removeprefix("fatal: ") if lines else "the remote hung up"
    return RemoteFailed(f"{redacted(url)}: {reason}")


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
