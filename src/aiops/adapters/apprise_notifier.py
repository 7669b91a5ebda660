"""AppriseNotifier: one message to one apprise URL (Slack, Discord, Teams, Telegram, mail,
ntfy, JSON webhooks and ~100 more). apprise is imported on first use (it loads every plugin).

What comes back on failure is apprise's own warning lines, with every part of the URL cut
out (its tokens and passwords are the secrets a target holds)."""

from __future__ import annotations

import logging
import re
from typing import Any

_PARTS = re.compile(r"[:/@?&=#,;+]+")
_MIN_PART = 3


# Loggers that write a target's URL (its path holds the token) at DEBUG: they reach no
# handler of ours. apprise's warnings come back as the error line, redacted.
QUIET_LOGGERS = ("apprise", "urllib3.connectionpool")


def _apprise() -> Any:
    import apprise  # noqa: PLC0415 - 300 ms of plugins, only where notifications are sent

    for name in QUIET_LOGGERS:
        logging.getLogger(name).propagate = False
    return apprise


def redact(text: str, url: str) -> str:
    """`text` without the URL or any part of it (user, password, host, path, query values)."""
    text = text.replace(url, "…")
    scheme = url.split("://", 1)[0]
    parts = sorted({p for p in _PARTS.split(url) if len(p) >= _MIN_PART and p != scheme},
                   key=len, reverse=True)  # fmt: skip
    for part in parts:
        text = text.replace(part, "…")
    return text


def _warnings(log: str) -> str:
    lines = []
    for line in log.splitlines():
        found = re.match(r"^\S+ \S+ - (WARNING|ERROR|CRITICAL) - (.*)$", line)
        if found:
            lines.append(found.group(2).strip())
    return " ".join(lines)


class AppriseNotifier:
    def problem(self, url: str) -> str | None:
        if _apprise().Apprise.instantiate(url) is None:
            return "apprise cannot use this URL (unknown service, or a part of it is wrong)"
        return None

    def send(self, url: str, title: str, body: str) -> str | None:
        apprise = _apprise()
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return "apprise cannot use this URL (unknown service, or a part of it is wrong)"
        with apprise.LogCapture(level=logging.WARNING) as captured:
            sent = notifier.notify(title=title, body=body)
        if sent:
            return None
        why = _warnings(captured.getvalue()) or "apprise could not deliver the notification"
        return redact(why, url)
