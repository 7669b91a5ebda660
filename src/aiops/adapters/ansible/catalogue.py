"""FilePlaybookCatalogue: the playbooks and inventories in an ansible folder.

A playbook is `<dir>/playbooks/<name>.yml`; its description is the comment block it starts
with; the extra vars it takes are declared beside it in `<name>.vars.yml` (see
domain/model/playbook_vars.py; no such file: none). An inventory is
`<dir>/inventory/<name>.yml` (or `.yaml`, `.ini`). Only files whose names are valid names are
listed, so a listed name always maps back to exactly one file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from aiops.domain.model.automation import AutomationRefused, Playbook
from aiops.domain.model.playbook_vars import VarType, declared_types

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
INVENTORY_SUFFIXES = (".yml", ".yaml", ".ini")


def description_of(path: Path) -> str:
    """The comment lines at the top of a playbook, joined into one paragraph."""
    lines: list[str] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as text:
            for line in text:
                stripped = line.strip()
                if stripped.startswith("#"):
                    lines.append(stripped.lstrip("#").strip())
                elif stripped and stripped != "---":
                    break
    except OSError:
        return ""
    return " ".join(line for line in lines if line)


class FilePlaybookCatalogue:
    def __init__(self, ansible_dir: Path) -> None:
        self.ansible_dir = ansible_dir

    @property
    def playbook_dir(self) -> Path:
        return self.ansible_dir / "playbooks"

    def playbooks(self) -> Sequence[Playbook]:
        return [
            Playbook(
                name=path.stem,
                description=description_of(path),
                variables=self._declared(path.stem),
            )
            for path in sorted(self.playbook_dir.glob("*.yml"))
            if _NAME.fullmatch(path.stem) and path.is_file()
        ]

    def _declared(self, name: str) -> dict[str, VarType]:
        path = self.playbook_dir / f"{name}.vars.yml"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise AutomationRefused(f"{path}: cannot read it ({error.strerror})") from None
        import yaml  # noqa: PLC0415 - PyYAML (~15 ms) only where a playbook declares variables

        try:
            return declared_types(yaml.safe_load(text), name)
        except (yaml.YAMLError, ValueError) as error:
            raise AutomationRefused(f"{path}: {error}") from None

    def playbook_path(self, name: str) -> Path:
        return self.playbook_dir / f"{name}.yml"

    def inventories(self) -> Sequence[str]:
        return sorted(self._inventory_paths())

    def inventory_path(self, name: str) -> Path | None:
        return self._inventory_paths().get(name)

    def _inventory_paths(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        folder = self.ansible_dir / "inventory"
        for path in sorted(folder.glob("*")) if folder.is_dir() else ():
            if path.suffix in INVENTORY_SUFFIXES and _NAME.fullmatch(path.stem) and path.is_file():
                found.setdefault(path.stem, path)
        return found
