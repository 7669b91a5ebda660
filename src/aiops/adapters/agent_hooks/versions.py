"""Which version of an npm-installed CLI is on PATH: read from the package.json of the
package its executable belongs to (no `npm ls`, no `gemini --version`: both start Node)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def installed_version(command: str, package: str, *, path: str | None = None) -> str | None:
    """The version of `package` whose executable `command` is on PATH (npm links it from
    <prefix>/bin into <prefix>/lib/node_modules/<package>/...), or None."""
    found = shutil.which(command, path=path)
    if found is None:
        return None
    here = Path(os.path.realpath(found)).parent
    for folder in (here, *here.parents):
        manifest = folder / "package.json"
        if not manifest.is_file():
            continue
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and data.get("name") == package:
            version = data.get("version")
            return version if isinstance(version, str) else None
    return None


def at_least(version: str | None, minimum: tuple[int, int, int]) -> bool:
    """Whether `version` (x.y.z, a suffix such as -preview.1 allowed) is `minimum` or later."""
    match = _VERSION.match(version or "")
    return match is not None and tuple(int(part) for part in match.groups()) >= minimum
