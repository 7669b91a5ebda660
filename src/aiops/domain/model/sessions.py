"""AI coding sessions: an allowlisted tool (Codex, Gemini CLI, Claude Code or a shell) running
in tmux, in a user's workspace, as that user's Linux account.

One tmux session per project (`<project-slug>-p<ID>`), one window per user + tool (+ issue)
(`<username>-<tool>[-i<ISSUE>]`). Every name that reaches tmux or a path is built here from
validated parts and checked again, so no `:` `.` `/` or leading `-` ever gets through.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from aiops.domain.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
    ValidationError,
)


class Tool(enum.StrEnum):
    CODEX = "codex"
    GEMINI = "gemini"
    CLAUDE = "claude"
    SHELL = "shell"

    @classmethod
    def parse(cls, value: str) -> Tool:
        try:
            return cls(value)
        except ValueError:
            allowed = "|".join(t.value for t in cls)
            raise ValidationError("tool", f"{value[:40]!r} is not one of {allowed}") from None


ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
CONFIG_DIR = re.compile(r"\.?[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*")


def _argv(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    argv = tuple(value)
    if not argv or any(not part or "\0" in part for part in argv):
        raise ValidationError("command", "must be a non-empty list of non-empty arguments")
    return argv


def _env(value: Mapping[str, str]) -> Mapping[str, str]:
    for name, text in value.items():
        if not ENV_NAME.fullmatch(name) or "\0" in text:
            raise ValidationError("env", f"{name[:40]!r} is not an environment variable name")
    return dict(value)


def _config_dir(value: str) -> str:
    if not CONFIG_DIR.fullmatch(value) or ".." in value.split("/"):
        raise ValidationError("config_dir", f"{value[:60]!r} is not a folder under HOME")
    return value


@attrs.frozen(kw_only=True)
class ToolSpec:
    """How to run one allowlisted tool: its argv (never a shell string), where it reads its
    credentials (a folder under the user's HOME, also named by `config_env` variables), what
    else its environment holds, and the npm package that installs it."""

    tool: Tool
    argv: tuple[str, ...] = attrs.field(converter=_argv)
    config_dir: str | None = attrs.field(
        default=None, converter=attrs.converters.optional(_config_dir)
    )
    config_env: tuple[str, ...] = ()
    env: Mapping[str, str] = attrs.field(factory=dict, converter=_env)
    package: str | None = None

    def __attrs_post_init__(self) -> None:
        for name in self.config_env:
            _env({name: ""})


DEFAULT_TOOLS: Mapping[Tool, ToolSpec] = {
    Tool.CODEX: ToolSpec(
        tool=Tool.CODEX,
        argv=("codex",),
        config_dir=".codex",
        config_env=("CODEX_HOME", "CODEX_CONFIG_DIR"),
        package="@openai/codex",
    ),
    Tool.GEMINI: ToolSpec(
        tool=Tool.GEMINI,
        argv=("gemini",),
        config_dir=".gemini",
        config_env=("GEMINI_CONFIG_DIR",),
        package="@google/gemini-cli",
    ),
    Tool.CLAUDE: ToolSpec(
        tool=Tool.CLAUDE,
        argv=("claude",),
        config_dir=".claude",
        config_env=("CLAUDE_CONFIG_DIR",),
        package="@anthropic-ai/claude-code",
    ),
    Tool.SHELL: ToolSpec(tool=Tool.SHELL, argv=("bash", "-l")),
}


class AgentStatus(enum.StrEnum):
    """What an agent is doing (issue 18): told by the tool's own hooks where it has them,
    else read from its pane (see StatusSource)."""

    WORKING = "working"  # on a turn: the pane changes, or the tool said a prompt came in
    WAITING = "waiting"  # for the user: input or a permission (pane: in the foreground, quiet)
    FINISHED = "finished"  # the tool said its turn is complete
    IDLE = "idle"  # the tool is gone from the foreground (back at the shell) or long quiet
    EXITED = "exited"  # the pane or window is gone, or the tool said its session ended
    FAILED = "failed"  # the tool ended with an error


class StatusSource(enum.StrEnum):
    HOOK = "hook"  # the tool's own hook (Claude Code hooks, Codex notify, Gemini CLI hooks)
    PANE = "pane"  # aiops's reading of the tmux pane (foreground process, last change)


# Quiet for longer than RUNNING_WITHIN: waiting for input; longer than IDLE_AFTER: idle.
RUNNING_WITHIN = timedelta(seconds=5)
IDLE_AFTER = timedelta(minutes=30)
SHELLS = frozenset({"bash", "sh", "dash", "zsh", "fish", "ksh", "tcsh", "csh", "login"})


def agent_status(
    *,
    alive: bool,
    foreground: str | None,
    tool: Tool,
    last_activity: datetime | None,
    now: datetime,
) -> AgentStatus:
    """What a window's pane says about its agent: from the pane's foreground process and when
    its content last changed, never from what the tool prints."""
    if not alive:
        return AgentStatus.EXITED
    command = (foreground or "").rsplit("/", 1)[-1].lstrip("-")
    at_shell = command in SHELLS and tool is not Tool.SHELL
    quiet = now - last_activity if last_activity else IDLE_AFTER
    if at_shell or quiet >= IDLE_AFTER:
        return AgentStatus.IDLE
    return AgentStatus.WORKING if quiet < RUNNING_WITHIN else AgentStatus.WAITING


# What a tool's own hook event says (issue 18): Claude Code's hook_event_name, Codex's notify
# `type`, Gemini CLI's hook event names. Events not named here are stored and change nothing.
HOOK_STATUSES: Mapping[str, AgentStatus] = {
    "SessionStart": AgentStatus.IDLE,
    "UserPromptSubmit": AgentStatus.WORKING,
    "BeforeAgent": AgentStatus.WORKING,
    "Notification": AgentStatus.WAITING,
    "Stop": AgentStatus.FINISHED,
    "AfterAgent": AgentStatus.FINISHED,
    "agent-turn-complete": AgentStatus.FINISHED,
    "SessionEnd": AgentStatus.EXITED,
}
# The transitions someone may want to hear about (NoticeSink).
NOTIFIED = frozenset({AgentStatus.WAITING, AgentStatus.FINISHED, AgentStatus.FAILED})


def status_for(tool: Tool, event: str) -> AgentStatus | None:
    """The status a tool's hook event means; None for an event that changes nothing (an
    unknown one, or any event of a plain shell, which has no hooks)."""
    return None if tool is Tool.SHELL else HOOK_STATUSES.get(event)


@attrs.frozen(kw_only=True)
class PaneReading:
    """What a window's pane says now: whether it is there, its foreground process and when its
    content last changed."""

    alive: bool
    foreground: str | None = None
    last_activity: datetime | None = None


def decide_status(
    session: AgentSession,
    *,
    now: datetime,
    pane: PaneReading | None = None,
    hook: AgentStatus | None = None,
) -> AgentSession:
    """THE decision of a session's status (every reader shows what it stores): from a hook
    event just received (`hook`) or a reading of its pane (`pane`).

    - A hook event's status is taken as it is (source hook).
    - The pane: window gone -> exited; tool gone from the foreground (back at the shell) ->
      idle; otherwise a status that came from a hook is kept (the pane never overrides a hook
      while the tool is in the foreground), and without hook events the pane heuristic
      (`agent_status`: working, waiting, idle) decides.
    The time the status began changes only when the status does."""
    decided, source = session.status, session.status_source
    if hook is not None:
        decided, source = hook, StatusSource.HOOK
    elif pane is not None:
        decided = agent_status(
            alive=pane.alive,
            foreground=pane.foreground,
            tool=session.tool,
            last_activity=pane.last_activity,
            now=now,
        )
        if session.status_source is StatusSource.HOOK and not _tool_left(session, pane):
            decided = session.status
        else:
            source = StatusSource.PANE
    if decided is session.status:
        return attrs.evolve(session, status_source=source)
    return attrs.evolve(session, status=decided, status_since=now, status_source=source)


def _tool_left(session: AgentSession, pane: PaneReading) -> bool:
    """The window is gone, or its tool is no longer in the foreground (back at the shell)."""
    command = (pane.foreground or "").rsplit("/", 1)[-1].lstrip("-")
    return not pane.alive or (command in SHELLS and session.tool is not Tool.SHELL)


@attrs.frozen(kw_only=True)
class AgentEvent:
    """One status a session went through, and what told it: a hook event (its name and id,
    unique per session) or a reading of the pane (event "pane", no id)."""

    session_id: int
    event: str
    status: AgentStatus
    source: StatusSource
    at: datetime
    event_id: str | None = None
    id: int | None = None


class BadEvent(ValidationError):
    """An agent event whose shape is wrong (400)."""

    code = "bad_event"

    def __init__(self, message: str) -> None:
        super().__init__("event", message)


class BadToken(AuthenticationFailed):
    """A forged token, another session's, or one of a session that is unknown or ended: the
    same answer for each, so that nothing leaks (401)."""

    code = "bad_token"

    def __init__(self) -> None:
        super().__init__("the session token is not valid for this session")


class Replayed(Conflict):
    """An event id the session has sent before, or sent_at too far from now (409)."""

    code = "replayed"


class WrongAccount(PermissionDenied):
    """The event came over the unix socket from another Linux account than the session's."""

    code = "wrong_account"

    def __init__(self) -> None:
        super().__init__("the event comes from another Linux account than the session's")


TMUX_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")


def tmux_name(value: str, *, field: str = "tmux name") -> str:
    """A session or window name tmux takes literally: lower-case letters, digits and `-`,
    not starting with `-` (no `:` or `.`, which tmux reads as target separators)."""
    if not TMUX_NAME.fullmatch(value):
        raise ValidationError(field, f"{value[:40]!r} is not a safe tmux name")
    return value


def session_name(project_slug: str, project_id: int) -> str:
    """`acme-web-p12`: the project's tmux session (the suffix makes it unique and findable)."""
    return tmux_name(f"{project_slug[:60]}-p{project_id}", field="session")


def window_name(username: str, tool: Tool, issue_id: int | None = None) -> str:
    suffix = f"-i{issue_id}" if issue_id is not None else ""
    return tmux_name(f"{username[:40]}-{tool.value}{suffix}", field="window")


PROJECT_SUFFIX = re.compile(r"-p([0-9]{1,12})$")


def project_id_of(session: str) -> int | None:
    """The project id in an aiops session name, or None for a session aiops did not make."""
    match = PROJECT_SUFFIX.search(session)
    return int(match.group(1)) if match and TMUX_NAME.fullmatch(session) else None


@attrs.frozen(kw_only=True)
class AgentSession:
    """One launched tool: who, where, as which Linux account, and how it is doing."""

    user_id: int
    project_id: int
    tool: Tool
    issue_id: int | None = None
    linux_user: str
    tmux_socket: str  # the tmux server's socket path (one server per Linux account)
    tmux_session: str
    tmux_window: str
    status: AgentStatus = AgentStatus.WORKING
    started_at: datetime
    status_since: datetime | None = None  # when `status` began (None: at started_at)
    status_source: StatusSource = StatusSource.PANE
    last_activity: datetime | None = None
    ended_at: datetime | None = None
    shared: bool = False  # tenant members may watch its terminal, read-only (issue 17)
    id: int | None = None

    @property
    def target(self) -> str:
        """tmux's `session:window` target (both names are safe tmux names)."""
        return f"{self.tmux_session}:{self.tmux_window}"

    def attach_command(self, host: str) -> str:
        return f"ssh {host} -t tmux -S {self.tmux_socket} attach -t {self.target}"


class SessionRefused(Conflict):
    """A launch that may not happen: uid 0, no Linux account, no switch possible, ...
    A Conflict: the state of this server refuses it, not the shape of the request."""

    code = "session_refused"
