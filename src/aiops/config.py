"""Settings: one typed object from the environment and .env (AIOPS_* names), validated at start.

Every setting is listed, with its default, in .env.example and docs/settings.md. A plain attrs
class read by load_settings (the types say how each variable's text is read:
setting_values.py), not pydantic-settings: importing pydantic cost every command ~70 ms
(docs/adr/0002-fast-cli-start.md). Tests change a loaded object with `attrs.evolve`.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
from attrs import field

from aiops.setting_values import SecretStr, setting_value

if TYPE_CHECKING:
    from aiops.domain.model.oidc import GroupGrant, OidcProvider

__all__ = ["ConfigError", "SecretStr", "Settings", "load_settings", "setting_names"]

OWASP_ARGON2_MIN_MEMORY_KIB = 19 * 1024
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
PREFIX = "AIOPS_"


MIN_TOKEN_LENGTH = 24  # a bearer token guessed over the network: 24 random characters or more


def default_ansible_dir() -> Path:
    """The ansible/ folder of the source tree, else the copy packaged with aiops."""
    source = Path(__file__).resolve().parents[2] / "ansible"
    return source if source.is_dir() else Path(__file__).resolve().parent / "_ansible"


class ConfigError(Exception):
    """The settings are invalid; the message names each bad setting."""

    code = "config_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Check = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _range(*, ge: float | None = None, le: float | None = None, gt: float | None = None) -> Check:
    """A bound on a number, checked when the settings are made (and by attrs.evolve)."""

    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
        if ge is not None and value < ge:
            raise ValueError(f"must be >= {ge}")
        if gt is not None and value <= gt:
            raise ValueError(f"must be > {gt}")
        if le is not None and value > le:
            raise ValueError(f"must be <= {le}")

    return check


def _pattern(regex: str) -> Check:
    compiled = re.compile(regex)

    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: str) -> None:
        if not compiled.fullmatch(value):
            raise ValueError(f"must match {regex}")

    return check


def _by(rule: Callable[[Any], Any]) -> Check:
    """A check written as a function of the value alone."""

    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
        rule(value)

    return check


def default_hook_command() -> str:
    """The running `aiops` executable (absolute), what the tools' hooks call back: argv[0] when
    it is `aiops`, else the one beside this Python (a virtualenv's bin/)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is not None and started.name == "aiops" and started.is_file():
        return str(started.absolute())
    return str(Path(sys.executable).absolute().with_name("aiops"))


def _hook_command(value: str | None) -> str:
    return default_hook_command() if value in ("", None) else str(value)


def _ansible_dir(value: Path | str | None) -> Path:
    return default_ansible_dir() if value in ("", None) else Path(value)


def _timezone(value: str) -> None:
    if value == "UTC":  # the default: checked without importing the jobs model
        return
    from aiops.domain.errors import ValidationError  # noqa: PLC0415
    from aiops.domain.model.jobs import parse_timezone  # noqa: PLC0415 - croniter on use

    try:
        parse_timezone(value)
    except ValidationError as error:
        raise ValueError(error.message.removeprefix("timezone: ")) from None


def _playbook_names(value: str) -> None:
    for name in value.split(","):
        if name.strip() and not _NAME.fullmatch(name.strip()):
            raise ValueError(f"{name.strip()[:60]!r} is not a playbook name (no paths)")


def _inventory_names(value: dict[str, str]) -> None:
    for slug, name in value.items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"{slug[:60]!r}: {name[:60]!r} is not an inventory name")


def _denied_names(value: str) -> None:
    for name in value.split(","):
        if name.strip() and not _ACCOUNT.fullmatch(name.strip()):
            raise ValueError(f"{name.strip()[:40]!r} is not a Linux account name")


def _group_roles(value: dict[str, str]) -> None:
    from aiops.domain.model.oidc import group_grants  # noqa: PLC0415 - only when given

    if value:
        group_grants(value)


def _not_empty(value: str) -> None:
    if not value:
        raise ValueError("must not be empty")


def _token(value: SecretStr | None) -> None:
    if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"must be at least {MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)"
        )


def _absolute(value: Path) -> None:
    if not value.is_absolute():
        raise ValueError("must be an absolute path")


def _absolute_text(value: str) -> None:
    if not value.startswith("/"):
        raise ValueError("must be an absolute path")


def _accounts(value: dict[str, str]) -> dict[str, str]:
    """Emails in lower case; one Linux account serves one aiops user, so no account is
    mapped from two emails."""
    mapping: dict[str, str] = {}
    for email, name in value.items():
        if "@" not in email or not _ACCOUNT.fullmatch(name):
            raise ValueError(f"{email[:60]!r}: {name[:40]!r} is not a Linux account name")
        key = email.strip().lower()
        if key in mapping:
            raise ValueError(f"{key[:60]!r} is mapped twice (emails ignore case)")
        mapping[key] = name
    by_account: dict[str, list[str]] = {}
    for email, name in mapping.items():
        by_account.setdefault(name, []).append(email)
    for name, emails in by_account.items():
        if len(emails) > 1:
            raise ValueError(
                f"the Linux account {name!r} is mapped from {', '.join(sorted(emails))}: "
                "one Linux account serves one aiops user"
            )
    return mapping


@attrs.frozen(kw_only=True)
class Settings:
    instance_path: Path = Path("instance")
    database_url: str = ""
    # How long a SQLite write waits for the write lock before the request gets 503.
    sqlite_busy_timeout_ms: int = field(default=5000, validator=_range(ge=0, le=600_000))
    admin_email: str | None = None
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    host: str = "127.0.0.1"
    port: int = field(default=8000, validator=_range(ge=1, le=65535))
    argon2_time_cost: int = field(default=3, validator=_range(ge=2))
    argon2_memory_kib: int = field(default=65536, validator=_range(ge=OWASP_ARGON2_MIN_MEMORY_KIB))
    argon2_parallelism: int = field(default=4, validator=_range(ge=1, le=64))
    secret_key: SecretStr | None = None
    session_hours: int = field(default=12, validator=_range(ge=1, le=12))
    max_body_bytes: int = field(default=1024 * 1024, validator=_range(ge=1024))
    workspace_root: Path = field(default=Path("/home"), validator=_by(_absolute))
    linux_user_strategy: Literal["mapping", "direct"] = "mapping"
    ssh_accept_new_host_keys: bool = False
    workspace_status_ttl_seconds: int = field(default=30, validator=_range(ge=1, le=3600))
    tracker_allow_private_networks: bool = False
    git_allow_private_networks: bool = False  # owners' repo_url hosts on loopback/private nets
    incident_labels: str = "incident"  # comma-separated; see incident_label_list
    # email -> Linux account (emails in lower case)
    linux_user_mapping: dict[str, str] = field(factory=dict, converter=_accounts)
    use_login_shell: bool = True
    tmux_socket_name: str = field(default="default", validator=_pattern(r"[A-Za-z0-9_-]{1,64}"))
    # tmux's own default (TMUX_TMPDIR)
    tmux_tmpdir: Path = field(default=Path("/tmp"), validator=_by(_absolute))  # noqa: S108
    agent_tools: str = "codex,gemini,claude,shell"  # the allowlist; see agent_tool_list
    agent_commands: dict[str, list[str]] = field(factory=dict)  # tool -> argv override
    agent_env: dict[str, dict[str, str]] = field(factory=dict)  # tool -> more env
    # the tracker's description in AGENTS.override.md, in bytes of UTF-8 (then a truncation line)
    agent_context_max_bytes: int = field(default=32 * 1024, validator=_range(ge=1024, le=4 << 20))
    # a browser terminal with no input and no output for this long is closed (issue 17)
    terminal_idle_minutes: float = field(default=60, validator=_range(gt=0, le=7 * 24 * 60))
    # the server looks at the live sessions' panes this often (issue 18); 0: never
    session_refresh_seconds: float = field(default=5, validator=_range(ge=0, le=3600))
    ssh_host: str = ""  # in the attach command shown for a session; empty: this host's name
    # Agent events (issue 18): the unix socket the server listens on for the sessions' hook
    # commands (empty: none) and the server's base URL as agents reach it (empty: not given)
    event_socket: str = field(default="", validator=_pattern(r"|/[^\x00]{1,100}"))
    url: str = field(default="", validator=_pattern(r"|https?://[^\s/?#]+(/[^\s?#]*)?"))
    # Privilege separation: the one root process (the launcher), its socket and its peer.
    launcher_socket: Path | None = None  # None: <instance>/launcher.sock
    service_user: str = field(default="aiops", validator=_pattern(r"[a-z_][a-z0-9_-]{0,31}"))
    # comma-separated accounts aiops never acts as
    linux_user_deny: str = field(default="nobody", validator=_by(_denied_names))
    # the npm that installs the AI CLIs
    npm: str = field(default="npm", validator=_by(_not_empty))
    scheduler_in_process: bool = False  # the web server runs the job runner in a thread
    # seconds between idle claims
    scheduler_poll: float = field(default=5.0, validator=_range(gt=0, le=3600))
    # heartbeat every third of it
    job_lease_seconds: int = field(default=30, validator=_range(ge=3, le=86400))
    # cron expressions' default time zone
    scheduler_timezone: str = field(default="UTC", validator=_by(_timezone))
    ansible_dir: Path = field(factory=default_ansible_dir, converter=_ansible_dir)
    # the allowlist; see playbook_list
    playbooks: str = field(default="ping,ai-clis,host-report", validator=_by(_playbook_names))
    # project slug -> inventory name
    project_inventories: dict[str, str] = field(factory=dict, validator=_by(_inventory_names))
    # seconds
    playbook_timeout: int = field(default=3600, validator=_range(ge=1, le=7 * 24 * 3600))
    ansible_artifacts_keep: int = field(default=50, validator=_range(ge=1, le=100_000))
    # seconds without a heartbeat before another host's run counts as lost (beats: a quarter)
    run_lost_after: int = field(default=120, validator=_range(ge=20, le=86400))
    # bearer token for GET /metrics; None: /metrics answers loopback clients only
    metrics_token: SecretStr | None = field(default=None, validator=_by(_token))

    # what the AI tools' hooks run (`<it> agent-event --tool ...`, issue 18): an absolute path
    hook_command: str = field(
        factory=default_hook_command, converter=_hook_command, validator=_by(_absolute_text)
    )
    # notifications (issue 18): the web server's delivery thread, woken when one is queued
    notify_in_process: bool = True
    # seconds between the delivery thread's looks for retries and others' deliveries
    notify_poll: float = field(default=5.0, validator=_range(gt=0, le=3600))
    # tries of one delivery before it is failed (backoff 5 s, 15 s, 45 s, ... 10 min)
    notify_max_attempts: int = field(default=5, validator=_range(ge=1, le=50))
    # deliveries tried per target and minute; the rest wait their turn
    notify_per_minute: int = field(default=10, validator=_range(ge=1, le=1000))
    # the issue-to-PR loop (issue 19): seconds between `aiops serve`'s runs of the due loop
    # steps (it also runs them at once when woken); 0: no loop thread (the pr-loop job runs them)
    pr_loop_poll_seconds: float = field(default=2.0, validator=_range(ge=0, le=3600))

    # OpenID Connect sign-in (issue 20): name -> {issuer, client_id, client_secret |
    # client_secret_file, scopes, label}; read into oidc_provider_list (secrets never in repr)
    oidc_providers: dict[str, dict[str, Any]] = field(factory=dict, repr=False)
    oidc_allow_insecure_loopback: bool = False  # http:// issuers on loopback (tests, trials)
    oidc_auto_create: bool = False  # a verified email without an account gets one
    # provider group -> "admin" | "<tenant slug>:<role>", re-applied at each sign-in
    oidc_group_roles: dict[str, str] = field(factory=dict, validator=_by(_group_roles))
    oidc_groups_claim: str = field(default="groups", validator=_by(_not_empty))
    oidc_required_groups: str = ""  # comma-separated; empty: anyone the provider vouches for
    password_login: bool = True  # false: password sign-in refused (set-password still works)
    # AIOPS_OIDC_PROVIDERS read (and secret files read) once, when the settings are made
    _oidc_provider_list: tuple[Any, ...] = field(init=False, default=(), repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.database_url:
            database = (self.instance_path / "aiops.db").resolve()
            object.__setattr__(self, "database_url", f"sqlite:///{database}")
        if self.oidc_providers:
            object.__setattr__(self, "_oidc_provider_list", self._read_oidc_providers())

    def _read_oidc_providers(self) -> tuple[OidcProvider, ...]:
        from aiops.oidc_settings import oidc_providers  # noqa: PLC0415 - only when given

        try:
            return oidc_providers(
                self.oidc_providers, allow_insecure_loopback=self.oidc_allow_insecure_loopback
            )
        except ValueError as error:
            raise ConfigError(f"invalid settings: {PREFIX}OIDC_PROVIDERS: {error}") from None

    @property
    def oidc_provider_list(self) -> tuple[OidcProvider, ...]:
        """The configured OpenID Connect providers, in the order given."""
        return self._oidc_provider_list

    @property
    def oidc_grants(self) -> tuple[GroupGrant, ...]:
        from aiops.domain.model.oidc import group_grants  # noqa: PLC0415 - only when used

        return group_grants(self.oidc_group_roles)

    @property
    def oidc_required_group_set(self) -> frozenset[str]:
        groups = self.oidc_required_groups.split(",")
        return frozenset(group.strip() for group in groups if group.strip())

    @property
    def launcher_socket_path(self) -> Path:
        return self.launcher_socket or (self.instance_path / "launcher.sock").absolute()

    @property
    def linux_user_deny_list(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.linux_user_deny.split(",") if name.strip())

    @property
    def agent_tool_list(self) -> tuple[str, ...]:
        return tuple(tool.strip() for tool in self.agent_tools.split(",") if tool.strip())

    @property
    def playbook_list(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.playbooks.split(",") if name.strip())

    @property
    def incident_label_list(self) -> tuple[str, ...]:
        return tuple(label.strip() for label in self.incident_labels.split(",") if label.strip())


def setting_names() -> tuple[str, ...]:
    """Every setting's name in lower case, without AIOPS_ (docs/settings.md lists them)."""
    return tuple(setting.name for setting in attrs.fields(Settings) if setting.init)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and .env, with `overrides` on top; ConfigError naming
    each bad variable if invalid."""
    given = {**_variables(), **overrides}
    values: dict[str, Any] = {}
    problems = []
    for setting in attrs.fields(Settings):
        if not setting.init:
            continue
        if _empty_for_default(setting, given.get(setting.name)):
            continue
        if setting.name in given:
            try:
                values[setting.name] = _checked(setting, given[setting.name])
            except ValueError as error:
                problems.append(_problem(setting.name, given[setting.name], str(error)))
    if problems:
        raise ConfigError("invalid settings: " + "; ".join(problems))
    return Settings(**values)


def _variables() -> dict[str, str]:
    """The AIOPS_* variables by setting name, the environment's over .env's; names ignore case.
    An unreadable .env (root's, its values exported by privileges.separate) is skipped."""
    found: dict[str, str] = {}
    if os.access(".env", os.R_OK):
        from dotenv import dotenv_values  # noqa: PLC0415 - only when there is a .env

        found.update(_named(dotenv_values(".env")))
    found.update(_named(os.environ))
    return found


def _named(variables: typing.Mapping[str, str | None]) -> dict[str, str]:
    return {
        name[len(PREFIX) :].lower(): value
        for name, value in variables.items()
        if value is not None and name.upper().startswith(PREFIX)
    }


def _empty_for_default(setting: attrs.Attribute[Any], value: Any) -> bool:
    """An empty variable of a setting whose default is computed (`AIOPS_ANSIBLE_DIR=`, as
    .env.example has it; a mapping) means that default."""
    return value == "" and isinstance(setting.default, attrs.Factory)  # type: ignore[arg-type]


def _checked(setting: attrs.Attribute[Any], value: Any) -> Any:
    """`value` read as the setting's type, converted and validated as Settings() will."""
    value = setting_value(value, _field_types()[setting.name])
    if setting.converter is not None:
        value = setting.converter(value)  # type: ignore[operator]
    if setting.validator is not None:
        setting.validator(None, setting, value)
    return value


@functools.cache
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def _problem(name: str, value: Any, message: str) -> str:
    variable = PREFIX + name.upper()
    hidden = (
        isinstance(value, dict | SecretStr)
        or "secret" in name
        or "token" in name
        or not attrs.fields_dict(Settings)[name].repr  # holds secrets (AIOPS_OIDC_PROVIDERS)
    )
    return variable + ": " + message + ("" if hidden else f" (got {str(value)[:60]!r})")
