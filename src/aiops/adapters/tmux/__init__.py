"""tmux through its own command line, each client run as the server's account by the
launcher: one server per Linux account, reached by its socket path."""

from aiops.adapters.tmux.launcher_sessions import LauncherTmuxSessions, TmuxCommandFailed

__all__ = ["LauncherTmuxSessions", "TmuxCommandFailed"]
