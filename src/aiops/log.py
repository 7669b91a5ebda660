"""structlog, configured once: key=value in development, JSON with AIOPS_LOG_FORMAT=json.

The redaction processor runs on every event (ours and the standard library's, e.g. uvicorn's
and alembic's), so a secret handed to a logger by mistake is masked before it is rendered.
Control characters in a key=value line are shown as visible escapes (`\\x1b`, `\\r`), so
text from outside (an issue title, a tracker's error) cannot drive the terminal that shows
the log.

structlog (and rich, which it imports) costs about 40 ms, and most commands log nothing: the
CLI configures logging on first use (`deferred=True`), when the first record is emitted or the
first structlog logger is asked for.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

from aiops.domain.model.audit import REDACTED, SECRET_NAME, SECRET_WORDS
from aiops.domain.model.outside_text import for_terminal

_SECRET_IN_TEXT = [
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        REDACTED,
    ),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), r"\1:" + REDACTED + "@"),
    (
        re.compile(rf"(?i)\b(\w*(?:{SECRET_WORDS})\w*\s*[=:]\s*)[^\s,;&]+"),
        r"\1" + REDACTED,
    ),
]


def scrub(value: Any) -> Any:
    """The value with secret-looking text and secret-named keys masked (used on every log event,
    and by entrypoints on error text they show)."""
    return _scrub(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in _SECRET_IN_TEXT:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and SECRET_NAME.search(key) else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub(item) for item in value)
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if SECRET_NAME.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _terminal_safe(renderer: Any) -> Any:
    """The key=value line with control characters (ESC, CR, ...) shown as visible escapes:
    the renderer escapes only newlines, and a log read in a terminal obeys the rest."""

    def render(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> str:
        return for_terminal(renderer(logger, method, event_dict))

    return render


_configured = False
_deferred: dict[str, Any] | None = None  # the settings a deferred configuration will use


class _ConfigureOnFirstRecord(logging.Handler):
    """The root's handler until the first record: it configures logging, then hands the
    record to the real handler."""

    def emit(self, record: logging.LogRecord) -> None:
        _configure_deferred()
        for handler in logging.getLogger().handlers:
            if handler is not self and record.levelno >= handler.level:
                handler.handle(record)


def _configure_deferred() -> None:
    global _configured, _deferred
    if _deferred is not None:
        pending, _configured, _deferred = _deferred, False, None
        configure_logging(**pending)


def configure_logging(
    *, fmt: str = "console", level: str = "info", stream: Any = None, deferred: bool = False
) -> None:
    """Configure structlog and the standard library's root logger. Later calls are no-ops
    unless `stream` is given (tests capture output that way). `deferred`: at the first record
    or the first `get_logger`, so that a command that logs nothing never imports structlog."""
    global _configured, _deferred
    if _configured and stream is None:
        return
    if deferred:
        _configured, _deferred = True, {"fmt": fmt, "level": level, "stream": stream}
        _set_root(_ConfigureOnFirstRecord(), level)
        return
    _configured, _deferred = True, None
    import structlog  # noqa: PLC0415 - see the module docstring

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else _terminal_safe(
            structlog.processors.LogfmtRenderer(key_order=["timestamp", "level", "event"])
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=stream is None,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    _set_root(handler, level)


def _set_root(handler: logging.Handler, level: str) -> None:
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # alembic narrates every migration context at INFO, httpx every request: our commands and
    # use cases say what they did.
    for chatty in ("alembic", "httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str | None = None) -> Any:
    import structlog  # noqa: PLC0415 - see the module docstring

    _configure_deferred()
    return structlog.get_logger(name)
