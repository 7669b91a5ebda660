"""Whom and what the launcher refuses: root, system and denied accounts, accounts no aiops
user is mapped to, programs and packages off its lists; each refusal one line, logged."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

from aiops.adapters.launcher.executor import Executor, in_child
from aiops.adapters.launcher.switch import Account
from aiops.adapters.launching import AccountLauncher, ActFailed
from aiops.domain.errors import AccountRefused
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import account_named


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("root", "root is root (uid 0): aiops never acts as root"),
        ("daemon", "daemon is a system account (uid 1 < UID_MIN"),
        ("nobody", "nobody is on the deny list (AIOPS_LINUX_USER_DENY)"),
    ],
)
def test_root_system_and_denied_accounts_are_refused(
    launcher: AccountLauncher, name: str, why: str, place: Path
) -> None:
    who = LinuxAccount(name=name, uid=os.getuid() + 1, gid=0, home="/", shell="/bin/sh")

    with pytest.raises(AccountRefused, match=why.replace("(", r"\(").replace(")", r"\)")):
        launcher.write_file(who, str(place / "x"), b"x")
    assert not (place / "x").exists()


def test_an_account_no_aiops_user_is_mapped_to_is_refused(
    launcher: AccountLauncher, stranger: LinuxAccount
) -> None:
    with pytest.raises(
        AccountRefused, match=f"{stranger.name} is not the account of any aiops user"
    ):
        launcher.run(stranger, "true", [], cwd="/")


def test_an_unknown_account_is_refused(launcher: AccountLauncher) -> None:
    ghost = LinuxAccount(
        name="aiops-ghost",
        uid=os.getuid() + 7,
        gid=0,
        home="/",
        shell="/bin/sh",
    )

    with pytest.raises(AccountRefused, match="'aiops-ghost' does not exist"):
        launcher.inspect(ghost, "/")


def test_a_program_off_the_table_is_refused(executor: Executor, account: LinuxAccount) -> None:
    reply = executor.execute(
        {"op": "run", "account": account.name, "program": "bash", "args": [], "cwd": "/",
         "env": {}, "input_b64": "", "timeout": 5}
    )  # fmt: skip

    assert reply.body == {
        "error": {"code": "program_refused", "message": "bash is not an allowed program"}
    }


def test_every_request_and_refusal_is_logged_with_who_asked(
    executor: Executor, account: LinuxAccount, logged: list[tuple[str, dict[str, object]]]
) -> None:
    executor.execute(
        {"op": "run", "account": account.name, "program": "true", "args": [], "cwd": "/",
         "env": {}, "input_b64": "", "timeout": 5}, peer="uid=999 pid=1"
    )  # fmt: skip
    executor.execute({"op": "inspect", "account": "root", "path": "/"}, peer="uid=999 pid=1")

    assert logged[0] == (
        "launcher.request",
        {"peer": "uid=999 pid=1", "op": "run", "account": account.name, "program": "true"},
    )
    event, fields = logged[1]
    assert (event, fields["code"], fields["peer"]) == (
        "launcher.refused",
        "account_refused",
        "uid=999 pid=1",
    )


def test_only_allowlisted_packages_are_installed_with_the_fixed_argv(
    launcher: AccountLauncher, place: Path
) -> None:
    npm = place / "npm"
    npm.write_text('#!/bin/sh\necho "npm as $(id -u): $*"\nexit 0\n')
    npm.chmod(0o755)

    with pytest.raises(AccountRefused, match="'left-pad' is not an allowlisted package"):
        launcher.install_cli("left-pad")
    spawned = launcher.install_cli("@openai/codex")
    (output,) = spawned.fds
    with os.fdopen(output, "rb") as pipe:
        text = pipe.read()

    assert text == b"npm as 0: install -g @openai/codex@latest\n"
    assert spawned.wait() == 0


def test_an_install_whose_npm_is_missing_is_an_error(
    launcher: AccountLauncher, place: Path
) -> None:
    with pytest.raises(ActFailed, match=f"cannot run {place}/npm"):
        launcher.install_cli("@openai/codex")


def test_without_a_launcher_aiops_acts_only_as_itself(account: LinuxAccount, place: Path) -> None:
    alone = AccountLauncher(backend=None, programs={"true": ("/bin/true",)}, workspace_root=place)

    assert alone.run(None, "true", [], cwd="/").returncode == 0
    with pytest.raises(AccountRefused, match="not as root and without a launcher"):
        alone.run(account, "true", [], cwd="/")
    with pytest.raises(AccountRefused, match="not as root and without a launcher"):
        alone.install_cli("@openai/codex")


def test_a_switch_that_would_not_hold_is_never_acted_on(place: Path) -> None:
    """become() proves setuid(0) fails afterwards; for an account that is root it would not,
    and the child refuses to act."""
    target = place / "written"
    as_root = Account("toor", 0, 0, "/root", "/bin/sh", (0,))

    reply = in_child(as_root, lambda: target.write_text("x") and {})

    assert reply.body == {
        "error": {"code": "failed", "message": "the switch did not hold: setuid(0) succeeded"}
    }
    assert not target.exists()


def test_a_child_that_dies_without_answering_is_reported(account: LinuxAccount) -> None:
    reply = in_child(_as_account(account), lambda: os._exit(3))

    assert reply.body["error"]["code"] == "failed"
    assert "without an answer" in reply.body["error"]["message"]


def test_become_drops_every_id_and_group(account: LinuxAccount) -> None:
    def ids() -> dict[str, object]:
        return {"ids": [os.getresuid(), os.getresgid(), sorted(os.getgroups())]}

    reply = in_child(_as_account(account), ids)

    groups = sorted(os.getgrouplist(account.name, account.gid))
    assert reply.body["ids"] == [[account.uid] * 3, [account.gid] * 3, groups]
    assert os.geteuid() == 0  # only the child switched


def _as_account(account: LinuxAccount) -> Account:
    linux = account_named(account.name)
    groups = tuple(os.getgrouplist(linux.name, linux.gid))
    return Account(linux.name, linux.uid, linux.gid, linux.home, linux.shell, groups)


def test_a_system_error_on_the_way_is_an_error_reply(
    executor: Executor, account: LinuxAccount
) -> None:
    broken = attrs.evolve(executor, workspace_root=Path("/etc/passwd/home"))

    reply = broken.execute({"op": "make_account_dir", "account": account.name})

    assert reply.body == {"error": {"code": "os_error", "message": "Not a directory"}}


def test_an_account_that_is_root_is_refused_even_when_aiops_is_root(
    launcher: AccountLauncher, place: Path
) -> None:
    toor = LinuxAccount(name="toor", uid=0, gid=0, home="/root", shell="/bin/sh")

    with pytest.raises(AccountRefused, match="toor is root"):
        launcher.write_file(toor, str(place / "x"), b"x")
    assert not (place / "x").exists()
