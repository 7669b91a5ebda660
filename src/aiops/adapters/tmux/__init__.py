"""tmux through libtmux: one server per Linux account, reached by its socket path."""

from aiops.adapters.tmux.libtmux_sessions import LibtmuxSessions, TmuxCommandFailed

__all__ = ["LibtmuxSessions", "TmuxCommandFailed"]
