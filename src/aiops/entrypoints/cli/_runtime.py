"""What every command shares: the container, the actor, output and error messages.

Imported lazily by the commands so that `aiops --help` and `aiops version` stay fast.
"""

from __future__ import annotations

import atexit
import json
import os
import pwd
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from aiops.adapters.errors import AdapterError
from aiops.config import ConfigError, load_settings
from aiops.container import Container, bootstrap
from aiops.domain.errors import DomainError
from aiops.domain.model.access import Actor
from aiops.domain.model.outside_text import for_terminal
from aiops.entrypoints import privileges
from aiops.entrypoints.cli._terminal import exact, json_text
from aiops.log import configure_logging

__all__ = [
    "USER_ERRORS",
    "actor",
    "jsonable",
    "open_container",
    "print_json",
    "print_object",
    "print_table",
]

USER_ERRORS = (DomainError, AdapterError, ConfigError)


def open_container(*, check_schema: bool = True, separate: bool = True) -> Container:
    """Settings validated, logging configured, and (by default) the schema known to be current.

    Run as root on an instance the service account owns, the command first becomes that
    account (the launcher acts in users' spaces): root never writes the service's files.

    The container lives until the command ends, then closes its resources (the database
    engine, the trackers' HTTP clients): a command may drop its reference and keep using
    what it built."""
    settings = load_settings()
    if separate and privileges.separate(settings, create=False):
        settings = load_settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level, deferred=True)
    container = bootstrap(settings, check_schema=check_schema)
    atexit.register(container.shutdown_resources)
    return container


def actor() -> Actor:
    """Who runs a CLI command: the local account (an operator with full rights), as the audit
    trail records it."""
    if privileges.invoked_by is not None:  # root, now the service account
        return Actor.system(f"cli:{privileges.invoked_by}")
    try:
        return Actor.system(f"cli:{pwd.getpwuid(os.getuid()).pw_name}")
    except KeyError:
        return Actor.system(f"cli:uid-{os.getuid()}")


def jsonable(value: Any) -> Any:
    """`value` as JSON values (aiops.entrypoints.jsonable, imported here on first use: its
    cattrs converter costs ~20 ms that `aiops git status` without --json need not pay)."""
    from aiops.entrypoints.jsonable import jsonable as converted

    return converted(value)


def print_json(items: Iterable[Any]) -> None:
    print_object(jsonable(list(items)))


def print_object(value: Any) -> None:
    """`--json`: exact, past the terminal escaping (see _terminal)."""
    document = json.dumps(value, indent=2, ensure_ascii=False)
    exact(sys.stdout).write(json_text(document) + "\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, empty: str) -> None:
    if not rows:
        print(empty, file=sys.stderr)
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    for line in [[column.upper() for column in columns], *cells]:
        print(
            "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return for_terminal(str(value))  # one line: a newline in a value cannot forge a row
