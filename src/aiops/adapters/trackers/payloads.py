"""Reading a tracker's JSON: each wrong shape is a TrackerError that names the tracker and the
field, never a KeyError or a TypeError from deep inside an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

import attrs

from aiops.domain.model.trackers import TrackerError

T = TypeVar("T")


@attrs.frozen
class Payload:
    tracker: str  # "GitHub", "GitLab", "Jira": who sent it, in messages

    def mapping(self, value: object, what: str = "an object") -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise TrackerError(f"{self.tracker} sent {type(value).__name__} where {what} belongs")
        return value

    def field(
        self, item: Mapping[str, object], name: str, kind: type[T], what: str = "an issue"
    ) -> T:
        value = item.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TrackerError(
                f"{self.tracker} sent {what} whose {name!r} is not a {kind.__name__}"
            )
        return value

    def optional(
        self, item: Mapping[str, object], name: str, kind: type[T], what: str = "an issue"
    ) -> T | None:
        return None if item.get(name) is None else self.field(item, name, kind, what)

    def name(self, value: object, what: str = "a label") -> str:
        """A name, or an object with one (`{"name": ...}`), as labels come."""
        return (
            value if isinstance(value, str) else self.field(self.mapping(value), "name", str, what)
        )

    def time(self, item: Mapping[str, object], name: str, what: str = "an issue") -> datetime:
        """An ISO 8601 time (with or without an offset; none means UTC), in UTC."""
        text = self.field(item, name, str, what)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise TrackerError(f"{self.tracker} sent {what} whose {name!r} is not a time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def iso8601(moment: datetime) -> str:
    """`2026-01-01T10:00:00Z` (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
