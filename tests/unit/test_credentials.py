"""Credentials for the AI tools: what each tool accepts, and the use cases against the
in-memory store, users and Linux accounts. No message, audit event or result ever holds
what was pasted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import AccountRefused, NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.credentials import (
    CLAUDE_KEY,
    CODEX_AUTH,
    GEMINI_ACCOUNTS,
    GEMINI_OAUTH,
    file_name_for,
    fingerprint,
    kind_of,
    session_env,
    validate_credentials,
)
from aiops.domain.model.sessions import Tool
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases.credentials import (
    ListCredentials,
    MirrorCredentials,
    SetCredentials,
    SetCredentialsCommand,
)
from tests.fakes import FakeClock, FakeCredentialStore, FakeLinuxUsers, FakeUnitOfWork

CANARY = "CANARY-c7e1d2"
CODEX = json.dumps(
    {
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": f"eyJ.{CANARY}.id",
            "access_token": f"eyJ.{CANARY}.access",
            "refresh_token": f"rt-{CANARY}",
            "account_id": "acct-1",
        },
        "last_refresh": "2026-11-25T10:00:00Z",
    }
).encode()
GEMINI = json.dumps(
    {
        "access_token": f"ya29.{CANARY}",
        "refresh_token": f"1//{CANARY}",
        "expiry_date": 1769159945362.78,
        "token_type": "Bearer",
        "scope": "openid",
    }
).encode()
ACCOUNTS = json.dumps({"active": "alice@example.com", "old": []}).encode()
CLAUDE_OAUTH = f"sk-ant-oat01-{CANARY}-abcdefghij\n".encode()
CLAUDE_API = f"sk-ant-api03-{CANARY}-abcdefghij".encode()
ADMIN = Actor(name="ada", user_id=99, is_admin=True)


# What each tool accepts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "files"),
    [
        (Tool.CODEX, {CODEX_AUTH: CODEX}),
        (Tool.CODEX, {CODEX_AUTH: json.dumps({"OPENAI_API_KEY": f"sk-{CANARY}"}).encode()}),
        (Tool.GEMINI, {GEMINI_OAUTH: GEMINI}),
        (Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}),
        (Tool.CLAUDE, {CLAUDE_KEY: CLAUDE_OAUTH}),
        (Tool.CLAUDE, {CLAUDE_KEY: CLAUDE_API}),
    ],
)
def test_each_tool_accepts_the_files_it_really_reads(tool: Tool, files: dict[str, bytes]) -> None:
    assert set(validate_credentials(tool, files)) == set(files)


def test_a_claude_key_is_kept_without_its_line_end() -> None:
    assert validate_credentials(Tool.CLAUDE, {CLAUDE_KEY: CLAUDE_OAUTH})[CLAUDE_KEY] == (
        CLAUDE_OAUTH.strip()
    )


def test_an_empty_optional_gemini_file_is_left_out() -> None:
    checked = validate_credentials(Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: b"  "})
    assert list(checked) == [GEMINI_OAUTH]


BAD = [
    (Tool.CODEX, CODEX_AUTH, f'{{"tokens": {{"access_token": "{CANARY}"', "not valid JSON"),
    (Tool.CODEX, CODEX_AUTH, f'["{CANARY}"]', "must be a JSON object"),
    (Tool.CODEX, CODEX_AUTH, f'{{"other": "{CANARY}"}}', 'needs "tokens"'),
    (
        Tool.CODEX,
        CODEX_AUTH,
        f'{{"tokens": {{"access_token": "{CANARY}", "refresh_token": "x"}}}}',
        "id_token, access_token and refresh_token",
    ),
    (Tool.CODEX, CODEX_AUTH, "\xff\xfe" + CANARY, "not UTF-8"),
    (Tool.GEMINI, GEMINI_OAUTH, f'{{"access_token": "{CANARY}"}}', "refresh_token"),
    (
        Tool.GEMINI,
        GEMINI_OAUTH,
        f'{{"refresh_token": "{CANARY}", "expiry_date": "soon"}}',
        "expiry_date",
    ),
    (Tool.CLAUDE, CLAUDE_KEY, f"sk-{CANARY}", "sk-ant-"),
    (Tool.CLAUDE, CLAUDE_KEY, f"sk-ant-api03-{CANARY}-abcdefgh\nsecond line", "one line"),
]


@pytest.mark.parametrize(("tool", "name", "content", "says"), BAD)
def test_a_bad_paste_is_refused_without_repeating_it(
    tool: Tool, name: str, content: str, says: str
) -> None:
    files = {name: content.encode("latin-1")}
    if tool is Tool.GEMINI and name != GEMINI_OAUTH:
        files[GEMINI_OAUTH] = GEMINI
    with pytest.raises(ValidationError) as refused:
        validate_credentials(tool, files)
    assert says in refused.value.message
    assert CANARY not in refused.value.message


def test_google_accounts_needs_the_active_email() -> None:
    with pytest.raises(ValidationError, match="active"):
        validate_credentials(Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: b'{"old": []}'})


def test_gemini_needs_its_oauth_file() -> None:
    with pytest.raises(ValidationError, match=r"gemini needs oauth_creds\.json"):
        validate_credentials(Tool.GEMINI, {GEMINI_ACCOUNTS: ACCOUNTS})


def test_a_file_the_tool_does_not_read_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"'config\.toml' is not one of codex's files"):
        validate_credentials(Tool.CODEX, {CODEX_AUTH: CODEX, "config.toml": b"x"})


def test_a_file_larger_than_64_kib_is_refused() -> None:
    huge = json.dumps({"OPENAI_API_KEY": "k" * 70_000}).encode()
    with pytest.raises(ValidationError, match="larger than 64 KiB"):
        validate_credentials(Tool.CODEX, {CODEX_AUTH: huge})


def test_the_shell_takes_no_credentials() -> None:
    with pytest.raises(ValidationError, match="takes no credentials"):
        kind_of(Tool.SHELL)
    with pytest.raises(ValidationError, match="is not one of"):
        kind_of("emacs")


def test_a_file_is_named_by_its_base_name_or_is_the_single_file_of_its_tool() -> None:
    assert file_name_for(Tool.GEMINI, GEMINI_ACCOUNTS) == GEMINI_ACCOUNTS
    assert file_name_for(Tool.CLAUDE, "claude-key.txt") == CLAUDE_KEY
    assert file_name_for(Tool.CODEX, "backup-auth.json") == CODEX_AUTH
    with pytest.raises(ValidationError, match=r"oauth_creds\.json, google_accounts\.json"):
        file_name_for(Tool.GEMINI, "creds.json")


@given(st.dictionaries(st.sampled_from(["a", "b"]), st.binary(max_size=40), min_size=1))
def test_a_fingerprint_is_short_and_changes_with_the_content(files: dict[str, bytes]) -> None:
    changed = {name: content + b"!" for name, content in files.items()}
    assert len(fingerprint(files)) == 12
    assert fingerprint(files) != fingerprint(changed)


def test_claude_gets_its_key_in_the_variable_that_fits_it_and_others_get_nothing() -> None:
    oauth, api = CLAUDE_OAUTH.decode().strip(), CLAUDE_API.decode()
    assert session_env(Tool.CLAUDE, oauth) == {"CLAUDE_CODE_OAUTH_TOKEN": oauth}
    assert session_env(Tool.CLAUDE, api) == {
        "CLAUDE_CODE_OAUTH_TOKEN": api,
        "ANTHROPIC_API_KEY": api,
    }
    assert session_env(Tool.CODEX, "whatever") == {}
    assert session_env(Tool.CLAUDE, None) == {}


# Use cases -------------------------------------------------------------------------------------


@pytest.fixture
def store() -> FakeCredentialStore:
    return FakeCredentialStore()


@pytest.fixture
def accounts() -> FakeLinuxUsers:
    return FakeLinuxUsers("alice")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        uow.users.add(
            User(email="alice@example.com", name="Alice", username="alice", linux_username="alice")
        )
        uow.users.add(User(email="bob@example.com", name="Bob", username="bob"))
        uow.commit()
    return uow


@pytest.fixture
def set_credentials(
    uow: FakeUnitOfWork, store: FakeCredentialStore, accounts: FakeLinuxUsers
) -> SetCredentials:
    return SetCredentials(
        uow=uow,
        clock=FakeClock(),
        store=store,
        linux_users=accounts,
        policy=WorkspacePolicy(root=PurePosixPath("/home")),
    )


def _alice(uow: FakeUnitOfWork) -> User:
    with uow:
        user = uow.users.get_by_email("alice@example.com")
    assert user is not None
    return user


def test_an_admin_saves_codex_credentials_and_they_are_mirrored_as_the_users_account(
    set_credentials: SetCredentials, store: FakeCredentialStore, uow: FakeUnitOfWork
) -> None:
    saved = set_credentials(
        SetCredentialsCommand(
            tool="codex", files={CODEX_AUTH: CODEX}, user_email="alice@example.com", actor=ADMIN
        )
    )
    alice = _alice(uow)
    assert saved.account == "alice"
    assert saved.mirrored_to == "/home/alice/.codex"
    assert alice.id is not None
    assert store.info(alice.id, Tool.CODEX) == saved.info
    assert store.homes == {"/home/alice/.codex/auth.json": CODEX}
    assert store.written_as == {"/home/alice/.codex/auth.json": "alice"}
    assert saved.info.fingerprint == fingerprint({CODEX_AUTH: CODEX})
    assert CANARY not in repr(saved)


def test_saving_records_who_which_tool_and_the_fingerprint_never_the_content(
    set_credentials: SetCredentials, uow: FakeUnitOfWork
) -> None:
    alice = _alice(uow)
    saved = set_credentials(
        SetCredentialsCommand(
            tool="gemini",
            files={GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS},
            user_id=alice.id,
            actor=ADMIN,
        )
    )
    [event] = uow.committed.audit
    assert event.action == "credentials.saved"
    assert event.target == f"user:{alice.id}"
    assert event.detail["tool"] == "gemini"
    assert event.detail["user"] == "alice@example.com"
    assert event.detail["fingerprint"] == saved.info.fingerprint
    assert event.detail["files"] == "google_accounts.json,oauth_creds.json"
    assert CANARY not in repr(event)


def test_the_mapping_wins_over_the_users_linux_username_for_credentials(
    uow: FakeUnitOfWork, store: FakeCredentialStore, accounts: FakeLinuxUsers
) -> None:
    accounts.add("bobby", 1500)
    set_credentials = SetCredentials(
        uow=uow,
        clock=FakeClock(),
        store=store,
        linux_users=accounts,
        policy=WorkspacePolicy(
            root=PurePosixPath("/home"), linux_user_mapping={"alice@example.com": "bobby"}
        ),
    )

    saved = set_credentials(
        SetCredentialsCommand(
            tool="codex", files={CODEX_AUTH: CODEX}, user_email="alice@example.com", actor=ADMIN
        )
    )

    assert (saved.account, saved.mirrored_to) == ("bobby", "/home/bobby/.codex")
    assert store.homes == {"/home/bobby/.codex/auth.json": CODEX}


def test_credentials_for_a_system_account_are_refused_and_not_saved(
    uow: FakeUnitOfWork, store: FakeCredentialStore, accounts: FakeLinuxUsers
) -> None:
    accounts.add("postgres", 114)
    set_credentials = SetCredentials(
        uow=uow,
        clock=FakeClock(),
        store=store,
        linux_users=accounts,
        policy=WorkspacePolicy(
            root=PurePosixPath("/home"), linux_user_mapping={"bob@example.com": "postgres"}
        ),
    )

    with pytest.raises(AccountRefused, match="postgres is a system account"):
        set_credentials(
            SetCredentialsCommand(
                tool="codex", files={CODEX_AUTH: CODEX}, user_email="bob@example.com", actor=ADMIN
            )
        )

    assert store.stored == {}
    assert store.homes == {}


def test_a_user_without_a_linux_account_keeps_the_files_with_aiops(
    set_credentials: SetCredentials, store: FakeCredentialStore
) -> None:
    saved = set_credentials(
        SetCredentialsCommand(
            tool="claude", files={CLAUDE_KEY: CLAUDE_OAUTH}, user_email="bob@example.com"
        )
    )
    assert saved.account is None
    assert saved.mirrored_to is None
    assert store.homes == {}
    assert saved.info.files == (CLAUDE_KEY,)


def test_claude_keys_are_never_copied_into_home(
    set_credentials: SetCredentials, store: FakeCredentialStore
) -> None:
    saved = set_credentials(
        SetCredentialsCommand(
            tool="claude", files={CLAUDE_KEY: CLAUDE_API}, user_email="alice@example.com"
        )
    )
    assert saved.account == "alice"
    assert saved.mirrored_to is None
    assert store.homes == {}


def test_a_refused_mirror_still_saves_and_says_why(
    set_credentials: SetCredentials, store: FakeCredentialStore, uow: FakeUnitOfWork
) -> None:
    store.refuse = "/home/alice/.codex is not a folder (a symlink?): refused"
    saved = set_credentials(
        SetCredentialsCommand(
            tool="codex", files={CODEX_AUTH: CODEX}, user_email="alice@example.com"
        )
    )
    assert saved.mirror_error == store.refuse
    assert saved.mirrored_to is None
    assert store.info(_alice(uow).id or 0, Tool.CODEX) is not None
    assert uow.committed.audit[0].detail["mirror_error"] == store.refuse


def test_only_a_global_admin_saves_credentials(
    set_credentials: SetCredentials, store: FakeCredentialStore
) -> None:
    owner = Actor(name="olga", user_id=5, roles={})
    with pytest.raises(PermissionDenied):
        set_credentials(
            SetCredentialsCommand(
                tool="codex", files={CODEX_AUTH: CODEX}, user_email="alice@example.com", actor=owner
            )
        )
    assert store.stored == {}


def test_an_invalid_paste_or_an_unknown_user_stores_nothing(
    set_credentials: SetCredentials, store: FakeCredentialStore, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(ValidationError):
        set_credentials(
            SetCredentialsCommand(
                tool="codex", files={CODEX_AUTH: b"{}"}, user_email="alice@example.com"
            )
        )
    with pytest.raises(NotFound, match="user 404 does not exist"):
        set_credentials(SetCredentialsCommand(tool="codex", files={CODEX_AUTH: CODEX}, user_id=404))
    with pytest.raises(ValidationError, match="choose a user"):
        set_credentials(SetCredentialsCommand(tool="codex", files={CODEX_AUTH: CODEX}))
    assert store.stored == {}
    assert uow.committed.audit == []


def test_the_cards_list_every_user_and_what_is_saved_by_tool(
    set_credentials: SetCredentials, store: FakeCredentialStore, uow: FakeUnitOfWork
) -> None:
    set_credentials(
        SetCredentialsCommand(tool="codex", files={CODEX_AUTH: CODEX}, user_email="bob@example.com")
    )
    overview = ListCredentials(uow=uow, store=store)(ADMIN)
    assert [u.email for u in overview.users] == ["alice@example.com", "bob@example.com"]
    assert [s.user.email for s in overview.saved[Tool.CODEX]] == ["bob@example.com"]
    assert overview.saved[Tool.GEMINI] == []
    assert overview.saved[Tool.CODEX][0].info.saved_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
    with pytest.raises(PermissionDenied):
        ListCredentials(uow=uow, store=store)(Actor(name="max", user_id=3))


def test_every_launch_mirrors_again_and_hands_claude_its_key_for_the_session_only(
    set_credentials: SetCredentials,
    store: FakeCredentialStore,
    accounts: FakeLinuxUsers,
    uow: FakeUnitOfWork,
) -> None:
    alice, account = _alice(uow), accounts.accounts["alice"]
    assert alice.id is not None
    for tool, files in (
        (Tool.CODEX, {CODEX_AUTH: CODEX}),
        (Tool.CLAUDE, {CLAUDE_KEY: CLAUDE_OAUTH}),
    ):
        set_credentials(SetCredentialsCommand(tool=tool, files=files, user_id=alice.id))
    store.homes.clear()  # the tool lost its file since
    mirror = MirrorCredentials(store=store)
    assert mirror(alice.id, Tool.CODEX, account) == {}
    assert store.homes == {"/home/alice/.codex/auth.json": CODEX}
    assert mirror(alice.id, Tool.CLAUDE, account) == {
        "CLAUDE_CODE_OAUTH_TOKEN": CLAUDE_OAUTH.decode().strip()
    }
    assert mirror(alice.id, Tool.GEMINI, account) == {}  # nothing saved: nothing to do
    assert mirror(alice.id, Tool.SHELL, account) == {}
