"""The launcher asks a child running as the service account which accounts are mapped: root
never opens the service's database."""

from __future__ import annotations

import os

import pytest

from aiops.adapters.launcher.oracle import ServiceOracle
from aiops.adapters.launcher.protocol import Refused
from aiops.adapters.launcher.switch import Account
from aiops.ports.linux_users import LinuxAccount


def as_service(account: LinuxAccount) -> Account:
    groups = tuple(os.getgrouplist(account.name, account.gid))
    return Account(account.name, account.uid, account.gid, account.home, account.shell, groups)


def test_the_answer_comes_from_a_child_running_as_the_service(account: LinuxAccount) -> None:
    def mapped(name: str) -> bool:
        return name == "alice" and os.geteuid() == account.uid  # only true in that child

    oracle = ServiceOracle(as_service(account), lambda: mapped)
    try:
        assert oracle("alice")
        assert not oracle("bob")
    finally:
        oracle.close()


def test_a_question_the_service_cannot_answer_is_a_no(account: LinuxAccount) -> None:
    def mapped(name: str) -> bool:
        raise RuntimeError("the database is down")

    oracle = ServiceOracle(as_service(account), lambda: mapped)
    try:
        assert not oracle("alice")
    finally:
        oracle.close()


def test_a_stopped_oracle_refuses_everyone(account: LinuxAccount) -> None:
    oracle = ServiceOracle(as_service(account), lambda: lambda name: True)
    os.kill(oracle.pid, 9)
    os.waitpid(oracle.pid, 0)

    with pytest.raises(Refused, match="the account check has stopped"):
        oracle("alice")
    oracle.close()
