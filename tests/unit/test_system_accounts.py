"""Which Linux accounts aiops may act as: never root, a system account or a denied one."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.adapters.system_accounts import DEFAULT_UID_MIN, account_refusal, refusal, uid_min


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UID_MIN\t\t\t 1000\n", 1000),
        ("# UID_MIN 10\nUID_MIN 2000 # people\n", 2000),
        ("SYS_UID_MIN 100\n", DEFAULT_UID_MIN),
        ("UID_MIN many\n", DEFAULT_UID_MIN),
    ],
)
def test_uid_min_is_read_from_login_defs(tmp_path: Path, text: str, expected: int) -> None:
    defs = tmp_path / "login.defs"
    defs.write_text(text)

    assert uid_min(defs) == expected


def test_uid_min_defaults_to_1000_without_login_defs(tmp_path: Path) -> None:
    assert uid_min(tmp_path / "missing") == DEFAULT_UID_MIN


@given(uid=st.integers(min_value=0, max_value=2**32 - 1), minimum=st.integers(1, 70000))
def test_only_people_off_the_deny_list_are_allowed(uid: int, minimum: int) -> None:
    why = refusal("alice", uid, minimum=minimum, deny={"nobody"})

    assert (why is None) == (uid >= minimum)


def test_root_and_denied_accounts_are_refused_whatever_their_uid() -> None:
    assert "root" in (refusal("toor", 0, minimum=0) or "")
    assert "deny list" in (refusal("nobody", 65534, minimum=1000) or "")


def test_an_unknown_account_is_refused_with_its_name() -> None:
    entry, why = account_refusal("no-such-account-aiops", minimum=1000)

    assert entry is None
    assert why == "the Linux account 'no-such-account-aiops' does not exist"


def test_the_current_account_is_looked_up() -> None:
    name = pwd.getpwuid(os.getuid()).pw_name
    entry, why = account_refusal(name, minimum=0, deny=())

    assert entry is not None
    assert entry.pw_uid == os.getuid()
    assert (why is None) == (os.getuid() != 0)
