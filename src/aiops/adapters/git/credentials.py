"""The project's credentials for one transfer, handed to git as the account without putting
them in argv, a URL or .git/config.

They are written, as the account, into a private (0700) folder of the account's made for this
transfer: the SSH key and a copy of the service's known_hosts (git runs our `ssh_argv`
through GIT_SSH_COMMAND), or the https token and a 0700 GIT_ASKPASS script that prints it.
The folder is removed afterwards, also when the transfer fails. For as long as the transfer
runs, the account can read them: whoever may use a project's workspace uses its credentials.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
from collections.abc import Iterator
from pathlib import Path

import attrs

from aiops.adapters.git import known_hosts
from aiops.adapters.git.remote import TOKEN_USERNAME, Transport, known_hosts_name, ssh_argv
from aiops.adapters.git.remote import transport as transport_of
from aiops.adapters.launching import AccountLauncher
from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed
from aiops.ports.linux_users import LinuxAccount

KNOWN_HOSTS_LIMIT = 4 * 1024 * 1024

# git runs it with the prompt as $1: "Username for 'https://host': ", then "Password for ...".
ASKPASS = """#!/bin/sh
case "$1" in
  Username*) echo {username} ;;
  *) cat {token} ;;
esac
"""


@attrs.frozen(kw_only=True)
class Credentials:
    launcher: AccountLauncher
    known_hosts: Path  # the service's own: <instance>/known_hosts
    accept_new_host_keys: bool
    scratch: Path = Path("/tmp")  # noqa: S108 - each transfer gets a private folder of its own

    @contextlib.contextmanager
    def env(
        self, account: LinuxAccount | None, url: str, access: RemoteAccess
    ) -> Iterator[dict[str, str]]:
        """The environment git needs to reach `url` with the project's credentials."""
        kind = transport_of(url)
        token = access.https_token if kind is Transport.HTTP else None
        if kind is Transport.LOCAL or (kind is Transport.HTTP and token is None):
            yield {}
            return
        folder = self.scratch / f"aiops-git-{secrets.token_hex(8)}"
        self.launcher.make_dir(account, str(folder), mode=0o700)
        try:
            if token is not None:
                yield self._askpass(account, folder, token)
            else:
                yield self._ssh(account, folder, access)
                self._learn_host_keys(account, folder, url)
        finally:
            self.launcher.run(account, "rm", ["-rf", "--", str(folder)], cwd="/")

    def _askpass(self, account: LinuxAccount | None, folder: Path, token: str) -> dict[str, str]:
        self.launcher.write_file(account, str(folder / "token"), token.encode(), mode=0o600)
        script = ASKPASS.format(
            username=shlex.quote(TOKEN_USERNAME), token=shlex.quote(str(folder / "token"))
        )
        self.launcher.write_file(account, str(folder / "askpass"), script.encode(), mode=0o700)
        return {"GIT_ASKPASS": str(folder / "askpass")}

    def _ssh(
        self, account: LinuxAccount | None, folder: Path, access: RemoteAccess
    ) -> dict[str, str]:
        key = None
        if access.ssh_key_path is not None:
            try:
                data = Path(access.ssh_key_path).read_bytes()
            except OSError as error:
                raise RemoteFailed(
                    f"the project's SSH key {access.ssh_key_path} cannot be read: "
                    f"{error.strerror or error}"
                ) from None
            key = folder / "key"
            self.launcher.write_file(account, str(key), data, mode=0o600)
        self.launcher.write_file(account, str(folder / "known_hosts"), self._known(), mode=0o600)
        argv = ssh_argv(
            key_path=None if key is None else str(key),
            known_hosts=folder / "known_hosts",
            accept_new_host_keys=self.accept_new_host_keys,
        )
        return {"GIT_SSH_COMMAND": shlex.join(argv), "GIT_SSH_VARIANT": "ssh"}

    def _known(self) -> bytes:
        try:
            return self.known_hosts.read_bytes()
        except FileNotFoundError:
            return b""

    def _learn_host_keys(self, account: LinuxAccount | None, folder: Path, url: str) -> None:
        """With accept-new: the key ssh recorded for a host new to the service, appended to
        the service's known_hosts (see known_hosts.learned)."""
        host = known_hosts_name(url)
        if not self.accept_new_host_keys or host is None:
            return
        copy = self.launcher.read_file(
            account, str(folder / "known_hosts"), limit=KNOWN_HOSTS_LIMIT
        )
        known = self._known().decode("utf-8", "replace")
        lines = known_hosts.learned(known, (copy or b"").decode("utf-8", "replace"), host)
        if not lines:
            return
        fd = os.open(self.known_hosts, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "a") as file:
            if known and not known.endswith("\n"):
                file.write("\n")
            file.write("".join(f"{line}\n" for line in lines))
