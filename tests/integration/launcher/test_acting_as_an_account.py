"""What the launcher does as an account: run a program, work with files and folders, hand back
a process's descriptors; each act in a child that became the account first, so the kernel
decides what it may touch. Every test runs in-process (aiops as root) and over the socket
(aiops as the service account)."""

from __future__ import annotations

import os
import pwd
import stat
import time
from pathlib import Path

import pytest

from aiops.adapters.launching import AccountLauncher, ActFailed
from aiops.ports.linux_users import LinuxAccount


def test_a_program_runs_as_the_account_with_its_identity_and_nothing_of_ours(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    os.environ["AIOPS_LEAK_CANARY"] = "leak"
    try:
        done = launcher.run(
            account, "sh", ["-c", 'id -u; id -G; echo "$HOME $USER $LOGNAME $SHELL"; env'],
            cwd="/", env={"EXTRA": "1", "HOME": "/root", "USER": "root"},
        )  # fmt: skip
    finally:
        del os.environ["AIOPS_LEAK_CANARY"]

    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0
    assert lines[0] == str(account.uid)
    assert set(lines[1].split()) == {str(g) for g in os.getgrouplist(account.name, account.gid)}
    assert lines[2] == f"{account.home} {account.name} {account.name} {account.shell}"
    assert "EXTRA=1" in lines
    assert not any("AIOPS_LEAK_CANARY" in line for line in lines)


def test_the_program_gets_its_input_cwd_output_and_exit_status(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    done = launcher.run(
        account,
        "sh",
        ["-c", "cat; pwd; echo oops >&2; exit 3"],
        cwd="/tmp",
        input=b"hello\n",
    )

    assert (done.returncode, done.stdout, done.stderr) == (3, b"hello\n/tmp\n", b"oops\n")
    assert not done.timed_out


def test_a_program_past_its_timeout_is_killed_with_its_whole_session(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    marker = place / "late"
    place.chmod(0o777)

    started = time.monotonic()
    done = launcher.run(
        account, "sh", ["-c", f"(sleep 2; touch {marker}) & sleep 30"], cwd="/", timeout=0.3
    )
    time.sleep(2.5)

    assert done.timed_out
    assert done.returncode == -9
    assert time.monotonic() - started < 6
    assert not marker.exists()  # the background child died with the session


def test_the_cwd_is_entered_as_the_account(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    with pytest.raises(ActFailed, match="cannot enter /root: Permission denied"):
        launcher.run(account, "id", [], cwd="/root")


def test_a_program_that_cannot_start_is_an_error_not_an_exit_status(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    with pytest.raises(ActFailed, match="cannot run /nonexistent/program"):
        launcher.run(account, "missing", [], cwd="/")


def test_a_file_is_written_as_the_account_and_replaced_keeping_its_mode(
    launcher: AccountLauncher, account: LinuxAccount, mine: Path
) -> None:
    folder = mine
    target = folder / "notes.md"

    launcher.write_file(account, str(target), b"first", mode=0o640)
    launcher.write_file(account, str(target), b"second", mode=0o600)

    info = target.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (account.uid, 0o640)
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.md"]  # no temporary left
    assert launcher.read_file(account, str(target)) == b"second"


def test_an_exclusive_write_never_replaces_anything(
    launcher: AccountLauncher, account: LinuxAccount, mine: Path
) -> None:
    folder = mine
    launcher.write_file(account, str(folder / "secret"), b"one", exclusive=True)

    with pytest.raises(ActFailed, match="exists"):
        launcher.write_file(account, str(folder / "secret"), b"two", exclusive=True)
    assert (folder / "secret").read_bytes() == b"one"
    assert stat.S_IMODE((folder / "secret").stat().st_mode) == 0o600


def test_a_write_where_the_account_may_not_write_is_refused_by_the_kernel(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    root_only = place / "root-only"
    root_only.mkdir(mode=0o755)
    (place / "link").symlink_to(root_only)

    for path in (root_only / "x", place / "link" / "x", Path("/etc/aiops-test")):
        with pytest.raises(ActFailed, match="Permission denied"):
            launcher.write_file(account, str(path), b"x")
    assert list(root_only.iterdir()) == []
    assert not Path("/etc/aiops-test").exists()


def test_reading_says_missing_refuses_links_and_bounds_the_size(
    launcher: AccountLauncher, account: LinuxAccount, mine: Path
) -> None:
    folder = mine
    launcher.write_file(account, str(folder / "big"), b"x" * 100)
    os.symlink(folder / "big", folder / "link")

    assert launcher.read_file(account, str(folder / "none")) is None
    with pytest.raises(ActFailed, match="symbolic links"):
        launcher.read_file(account, str(folder / "link"))
    with pytest.raises(ActFailed, match="larger than 10 bytes"):
        launcher.read_file(account, str(folder / "big"), limit=10)
    with pytest.raises(ActFailed, match="Permission denied"):
        launcher.read_file(account, "/etc/shadow")


def test_folders_are_made_with_parents_and_must_end_the_accounts_own(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    deep = place / "a" / "b" / "c"
    place.chmod(0o777)

    assert launcher.make_dir(account, str(deep), mode=0o700, parents=True)
    assert not launcher.make_dir(account, str(deep), mode=0o750)

    assert (deep.stat().st_uid, stat.S_IMODE(deep.stat().st_mode)) == (account.uid, 0o750)
    assert stat.S_IMODE((place / "a").stat().st_mode) == 0o700
    with pytest.raises(ActFailed, match="No such file"):
        launcher.make_dir(account, str(place / "x" / "y"))


def test_a_folder_that_is_a_link_or_someone_elses_is_refused(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    place.chmod(0o777)
    (place / "roots").mkdir(mode=0o755)
    os.symlink(place / "roots", place / "link")
    (place / "file").write_text("")

    with pytest.raises(ActFailed, match="belongs to uid 0"):
        launcher.make_dir(account, str(place / "roots"))
    with pytest.raises(ActFailed, match="not a folder"):
        launcher.make_dir(account, str(place / "link"))
    with pytest.raises(ActFailed, match="not a folder"):
        launcher.make_dir(account, str(place / "file"))
    assert stat.S_IMODE((place / "roots").stat().st_mode) == 0o755


def test_inspect_tells_what_is_at_a_path_and_its_parent_without_following_links(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    os.symlink("/etc", place / "link")
    (place / "file").write_text("")
    os.mkfifo(place / "fifo")

    link = launcher.inspect(account, str(place / "link"))
    assert link.path is not None
    assert (link.path.kind, link.path.uid) == ("link", 0)
    assert link.parent is not None
    assert (link.parent.kind, link.parent.mode) == ("dir", 0o711)
    assert launcher.inspect(account, str(place / "file")).path.kind == "file"  # type: ignore[union-attr]
    assert launcher.inspect(account, str(place / "fifo")).path.kind == "other"  # type: ignore[union-attr]
    nothing = launcher.inspect(account, str(place / "none" / "deeper"))
    assert (nothing.path, nothing.parent) == (None, None)


def test_the_accounts_folder_under_the_workspace_root_is_made_once_and_only_for_it(
    launcher: AccountLauncher, account: LinuxAccount, stranger: LinuxAccount, place: Path
) -> None:
    path = launcher.make_account_dir(account, account.name)
    again = launcher.make_account_dir(account, account.name)

    assert path == again == place / "home" / account.name
    info = path.lstat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (
        account.uid,
        account.gid,
        0o700,
    )
    assert stat.S_IMODE((place / "home").stat().st_mode) == 0o755


def test_an_accounts_folder_that_is_a_link_or_someone_elses_is_refused(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    from aiops.domain.errors import AccountRefused

    home = place / "home"
    home.mkdir(mode=0o755)
    os.symlink(place, home / account.name)

    with pytest.raises(AccountRefused, match=f"not a folder of {account.name}'s"):
        launcher.make_account_dir(account, account.name)
    os.unlink(home / account.name)
    (home / account.name).mkdir()
    with pytest.raises(AccountRefused, match=f"not a folder of {account.name}'s"):
        launcher.make_account_dir(account, account.name)
    assert (home / account.name).stat().st_uid == 0


def test_a_workspace_root_others_may_write_is_refused(
    launcher: AccountLauncher, account: LinuxAccount, place: Path
) -> None:
    from aiops.domain.errors import AccountRefused

    (place / "home").mkdir(mode=0o777)
    (place / "home").chmod(0o777)

    with pytest.raises(AccountRefused, match="writable by others"):
        launcher.make_account_dir(account, account.name)
    assert not (place / "home" / account.name).exists()


def test_a_spawned_process_hands_back_its_pipes_and_exit_status(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    spawned = launcher.spawn(
        account, "sh", ["-c", "read line; echo got $line; id -u; exit 4"], cwd="/"
    )
    stdin, stdout = spawned.fds

    os.write(stdin, b"hello\n")
    os.close(stdin)
    with os.fdopen(stdout, "rb") as output:
        text = output.read()

    assert text == f"got hello\n{account.uid}\n".encode()
    assert spawned.wait() == 4


def test_a_spawned_pty_is_the_processs_controlling_terminal(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    spawned = launcher.spawn(
        account, "sh", ["-c", "tty >/dev/null && echo tty-ok; id -un"], cwd="/", pty=True
    )
    (terminal,) = spawned.fds
    text = b""
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # EIO: the terminal's other side has closed
            break
        if not chunk:
            break
        text += chunk
    os.close(terminal)

    assert b"tty-ok" in text
    assert account.name.encode() in text
    assert spawned.wait() == 0


def test_stopping_a_spawned_process_kills_it(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    spawned = launcher.spawn(account, "sh", ["-c", "echo started; exec sleep 60"], cwd="/")
    stdin, stdout = spawned.fds
    assert os.read(stdout, 100) == b"started\n"

    spawned.stop()

    assert os.read(stdout, 100) == b""  # the process is gone, its end of the pipe closed
    os.close(stdin)
    os.close(stdout)
    assert pwd.getpwuid(account.uid).pw_name == account.name


def test_a_link_in_place_of_a_file_is_replaced_not_followed(
    launcher: AccountLauncher, account: LinuxAccount, mine: Path
) -> None:
    os.symlink("/etc/passwd", mine / "notes.md")

    launcher.write_file(account, str(mine / "notes.md"), b"mine", mode=0o600)

    assert not (mine / "notes.md").is_symlink()
    assert (mine / "notes.md").read_bytes() == b"mine"
    assert stat.S_IMODE((mine / "notes.md").stat().st_mode) == 0o600


def test_input_the_program_does_not_read_is_dropped(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    done = launcher.run(account, "true", [], cwd="/", input=b"x" * (4 * 1024 * 1024))

    assert done.returncode == 0


def test_output_past_the_limit_is_cut(launcher: AccountLauncher, account: LinuxAccount) -> None:
    from aiops.adapters.launcher.executor import MAX_OUTPUT

    done = launcher.run(account, "sh", ["-c", "head -c 9000000 /dev/zero"], cwd="/")

    assert done.returncode == 0
    assert len(done.stdout) == MAX_OUTPUT


def test_a_descendant_that_escapes_the_session_cannot_hold_the_caller(
    launcher: AccountLauncher, account: LinuxAccount
) -> None:
    started = time.monotonic()
    done = launcher.run(
        account, "sh", ["-c", "setsid sleep 20 & echo forked; sleep 20"], cwd="/", timeout=0.3
    )

    assert done.timed_out
    assert done.stdout == b"forked\n"
    assert time.monotonic() - started < 5
