"""Settings: one typed object from the environment and .env (AIOPS_* names), validated at start.

Every setting is listed, with its default, in .env.example.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

OWASP_ARGON2_MIN_MEMORY_KIB = 19 * 1024
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AIOPS_", env_file=".env", extra="ignore", frozen=True
    )

    instance_path: Path = Path("instance")
    database_url: str = ""
    # How long a SQLite write waits for the write lock before the request gets 503.
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    admin_email: str | None = None
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    argon2_time_cost: int = Field(default=3, ge=2)
    argon2_memory_kib: int = Field(default=65536, ge=OWASP_ARGON2_MIN_MEMORY_KIB)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)
    secret_key: SecretStr | None = None
    session_hours: int = Field(default=12, ge=1, le=12)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    workspace_root: Path = Path("/home")
    linux_user_strategy: Literal["mapping", "direct"] = "mapping"
    ssh_accept_new_host_keys: bool = False
    workspace_status_ttl_seconds: int = Field(default=30, ge=1, le=3600)
    tracker_allow_private_networks: bool = False
    git_allow_private_networks: bool = False  # owners' repo_url hosts on loopback/private nets
    incident_labels: str = "incident"  # comma-separated; see incident_label_list
    linux_user_mapping: dict[str, str] = Field(default_factory=dict)  # email -> Linux account
    use_login_shell: bool = True
    tmux_socket_name: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    tmux_tmpdir: Path = Path("/tmp")  # noqa: S108 - tmux's own default (TMUX_TMPDIR)
    agent_tools: str = "codex,gemini,claude,shell"  # the allowlist; see agent_tool_list
    agent_commands: dict[str, list[str]] = Field(default_factory=dict)  # tool -> argv override
    agent_env: dict[str, dict[str, str]] = Field(default_factory=dict)  # tool -> more env
    # the tracker's description in AGENTS.override.md, in bytes of UTF-8 (then a truncation line)
    agent_context_max_bytes: int = Field(default=32 * 1024, ge=1024, le=4 * 1024 * 1024)
    ssh_host: str = ""  # in the attach command shown for a session; empty: this host's name
    # Privilege separation: the one root process (the launcher), its socket and its peer.
    launcher_socket: Path | None = None  # None: <instance>/launcher.sock
    service_user: str = Field(default="aiops", pattern=r"^[a-z_][a-z0-9_-]{0,31}$")
    linux_user_deny: str = "nobody"  # comma-separated accounts aiops never acts as

    @property
    def launcher_socket_path(self) -> Path:
        return self.launcher_socket or (self.instance_path / "launcher.sock").absolute()

    @property
    def linux_user_deny_list(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.linux_user_deny.split(",") if name.strip())

    @property
    def agent_tool_list(self) -> tuple[str, ...]:
        return tuple(tool.strip() for tool in self.agent_tools.split(",") if tool.strip())

    npm: str = Field(default="npm", min_length=1)  # the npm that installs the AI CLIs
    scheduler_in_process: bool = False  # the web server runs the job runner in a thread
    scheduler_poll: float = Field(default=5.0, gt=0, le=3600)  # seconds between idle claims
    job_lease_seconds: int = Field(default=30, ge=3, le=86400)  # heartbeat every third of it
    scheduler_timezone: str = "UTC"  # cron expressions' default time zone

    @field_validator("scheduler_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from aiops.domain.errors import ValidationError  # noqa: PLC0415
        from aiops.domain.model.jobs import parse_timezone  # noqa: PLC0415 - croniter on use

        try:
            parse_timezone(value)
        except ValidationError as error:
            raise ValueError(error.message.removeprefix("timezone: ")) from None
        return value

    ansible_dir: Path = Field(default_factory=default_ansible_dir)
    playbooks: str = "ping,ai-clis,host-report"  # the allowlist; see playbook_list
    project_inventories: dict[str, str] = Field(default_factory=dict)  # project slug -> name
    playbook_timeout: int = Field(default=3600, ge=1, le=7 * 24 * 3600)  # seconds
    ansible_artifacts_keep: int = Field(default=50, ge=1, le=100_000)
    # seconds without a heartbeat before another host's run counts as lost (beats: a quarter)
    run_lost_after: int = Field(default=120, ge=20, le=86400)

    @property
    def playbook_list(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.playbooks.split(",") if name.strip())

    @field_validator("playbooks")
    @classmethod
    def _playbook_names(cls, value: str) -> str:
        for name in value.split(","):
            if name.strip() and not _NAME.fullmatch(name.strip()):
                raise ValueError(f"{name.strip()[:60]!r} is not a playbook name (no paths)")
        return value

    @field_validator("ansible_dir", mode="before")
    @classmethod
    def _ansible_dir(cls, value: Any) -> Any:
        return default_ansible_dir() if value in ("", None) else value

    @field_validator("project_inventories")
    @classmethod
    def _inventory_names(cls, value: dict[str, str]) -> dict[str, str]:
        for slug, name in value.items():
            if not _NAME.fullmatch(name):
                raise ValueError(f"{slug[:60]!r}: {name[:60]!r} is not an inventory name")
        return value

    @property
    def incident_label_list(self) -> tuple[str, ...]:
        return tuple(label.strip() for label in self.incident_labels.split(",") if label.strip())

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            database = (self.instance_path / "aiops.db").resolve()
            object.__setattr__(self, "database_url", f"sqlite:///{database}")
        return self

    @field_validator("linux_user_deny")
    @classmethod
    def _denied_names(cls, value: str) -> str:
        for name in value.split(","):
            if name.strip() and not _ACCOUNT.fullmatch(name.strip()):
                raise ValueError(f"{name.strip()[:40]!r} is not a Linux account name")
        return value

    @field_validator("linux_user_mapping")
    @classmethod
    def _accounts(cls, value: dict[str, str]) -> dict[str, str]:
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

    @field_validator("workspace_root", "tmux_tmpdir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise ValueError("must be an absolute path")
        return value


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and .env, with `overrides` on top; ConfigError if invalid."""
    if not os.access(".env", os.R_OK):  # missing, or root's (its values were exported)
        overrides = {"_env_file": None, **overrides}
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = "AIOPS_" + "_".join(str(part) for part in item["loc"]).upper()
            given = item.get("input")
            secret = "secret" in name.lower()
            shown = "" if isinstance(given, dict) or secret else f" (got {str(given)[:60]!r})"
            problems.append(f"{name}: {item['msg']}{shown}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
