"""A fake `npm` executable for the installer tests: a small Python script that records each
argv, answers `ls -g --depth=0 --json` from a JSON file, and for `install -g` prints a few
lines with small sleeps (or hangs, with a child that also holds its output), "installs" the package (the next `ls` shows it) and exits with the
code the test chose. It never touches the network or the real global packages."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, subprocess, sys, time
from pathlib import Path
here = Path({folder!r})
with open(here / "argv.log", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
config = json.loads((here / "config.json").read_text())
installed = json.loads((here / "installed.json").read_text())
args = sys.argv[1:]
if args[:1] == ["ls"]:
    sys.stdout.write(config.get("ls_stdout") or json.dumps(
        {{"name": "lib", "dependencies": {{n: {{"version": v}} for n, v in installed.items()}}}}))
    sys.exit(config.get("ls_exit", 0))
if args[:2] == ["install", "-g"]:
    if config.get("hang"):
        print("hanging", flush=True)
        subprocess.Popen(["sleep", "600"])  # a child holding stdout, as npm's scripts do
        time.sleep(600)
    for i in range(config.get("lines", 3)):
        print(f"line {{i + 1}} of {{args[2]}}", flush=True)
        time.sleep(config.get("sleep", 0.05))
    print("warn: to stderr", file=sys.stderr, flush=True)
    code = config.get("exit", 0)
    if code == 0:
        installed[args[2].rsplit("@", 1)[0]] = config.get("version", "1.2.3")
        (here / "installed.json").write_text(json.dumps(installed))
    (here / "finished").write_text(str(code))
    sys.exit(code)
print("fake npm: unexpected arguments", args, file=sys.stderr)
sys.exit(2)
"""


class FakeNpm:
    """The script at `path`, its `calls` (each argv after `npm`) and its settings."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / "npm"
        self.path.write_text(SCRIPT.format(python=sys.executable, folder=str(folder)))
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.configure()
        self.install_state({})

    def configure(self, **config: Any) -> None:
        """exit, lines, sleep, hang, version, ls_stdout, ls_exit."""
        (self.folder / "config.json").write_text(json.dumps(config))

    def install_state(self, installed: dict[str, str]) -> None:
        (self.folder / "installed.json").write_text(json.dumps(installed))

    @property
    def calls(self) -> list[list[str]]:
        log = self.folder / "argv.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    @property
    def finished(self) -> bool:
        return (self.folder / "finished").exists()

    def clear(self) -> None:
        for name in ("argv.log", "finished"):
            if (self.folder / name).exists():
                os.remove(self.folder / name)
