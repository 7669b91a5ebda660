"""Benchmarks behind docs/performance.md's table, each beside a baseline from the same run.

These machines are noisy, so each figure is a median (and a ratio to its baseline):
1. start-up of `aiops --help` and `aiops version` (target < 0.4 s) vs `python -c pass`;
2. `aiops db upgrade` on an empty SQLite database (target < 2 s) vs `aiops version`;
3. 10,000 projects created through the CreateProject use case on SQLite, one transaction
   each, vs the same statements issued with raw SQLAlchemy Core.

    .venv/bin/python bench/run.py [--quick]

Prints a Markdown table and writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
AIOPS = str(VENV_BIN / "aiops")
RESULTS = Path(__file__).parent / "results" / "latest.json"


def clean_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    return env | {"AIOPS_INSTANCE_PATH": str(instance)}


def timed_runs(argv: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def startup(runs: int) -> list[dict[str, object]]:
    for argv in ([AIOPS, "--help"], [AIOPS, "version"]):
        timed_runs(argv, 2)  # warm the page cache
    baseline = statistics.median(timed_runs([sys.executable, "-c", "pass"], runs))
    rows = []
    for label, argv in (
        ("`aiops --help`", [AIOPS, "--help"]),
        ("`aiops version`", [AIOPS, "version"]),
    ):
        median = statistics.median(timed_runs(argv, runs))
        rows.append(row(label, median, baseline, "python -c pass", 0.4))
    return rows


def db_upgrade(runs: int) -> dict[str, object]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            instance = Path(tmp) / f"instance-{i}"
            times.append(timed_runs([AIOPS, "db", "upgrade"], 1, clean_env(instance))[0])
            with sqlite3.connect(instance / "aiops.db") as db:
                (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
            assert version, "db upgrade left no revision"
        baseline = statistics.median(timed_runs([AIOPS, "version"], runs))
    return row(
        "`aiops db upgrade` (empty SQLite)",
        statistics.median(times),
        baseline,
        "aiops version",
        2.0,
    )


def create_projects(count: int) -> dict[str, object]:
    from sqlalchemy import func, insert, select

    from aiops.adapters.sqlalchemy import migrations
    from aiops.adapters.sqlalchemy import tables as t
    from aiops.config import load_settings
    from aiops.container import bootstrap
    from aiops.domain.usecases.projects import CreateProjectCommand
    from aiops.domain.usecases.tenants import CreateTenantCommand

    def through_use_case(instance: Path) -> float:
        app = bootstrap(load_settings(instance_path=instance, database_url=""))
        migrations.upgrade(app.engine())
        app.create_tenant()(CreateTenantCommand(slug="bench", name="Bench"))
        create = app.create_project()
        start = time.perf_counter()
        for i in range(count):
            create(CreateProjectCommand(tenant="bench", slug=f"p-{i}", name=f"Project {i}"))
        elapsed = time.perf_counter() - start
        check_count(app.engine())
        app.shutdown_resources()
        return elapsed

    def raw_core(instance: Path) -> float:
        app = bootstrap(load_settings(instance_path=instance, database_url=""))
        engine = app.engine()
        migrations.upgrade(engine)
        app.create_tenant()(CreateTenantCommand(slug="bench", name="Bench"))
        start = time.perf_counter()
        for i in range(count):
            with engine.begin() as c:
                tenant_id = c.execute(
                    select(t.tenants.c.id).where(t.tenants.c.slug == "bench")
                ).scalar_one()
                c.execute(
                    select(t.projects).where(
                        t.projects.c.tenant_id == tenant_id, t.projects.c.slug == f"p-{i}"
                    )
                ).first()
                c.execute(
                    insert(t.projects).values(
                        tenant_id=tenant_id,
                        slug=f"p-{i}",
                        name=f"Project {i}",
                        default_branch="main",
                    )
                )
                c.execute(
                    insert(t.audit_events).values(
                        at=app.clock().now(),
                        actor="bench",
                        tenant="bench",
                        action="project.created",
                        target=f"p-{i}",
                        detail={},
                    )
                )
        elapsed = time.perf_counter() - start
        check_count(engine)
        app.shutdown_resources()
        return elapsed

    def check_count(engine: object) -> None:
        with engine.connect() as c:  # type: ignore[attr-defined]
            assert c.execute(select(func.count()).select_from(t.projects)).scalar_one() == count

    with tempfile.TemporaryDirectory() as tmp:
        ours = through_use_case(Path(tmp) / "ours")
        raw = raw_core(Path(tmp) / "raw")
    result = row(
        f"{count:,} projects via CreateProject (SQLite)",
        ours,
        raw,
        "raw SQLAlchemy Core, same statements",
        None,
    )
    result["per_second"] = round(count / ours)
    result["baseline_per_second"] = round(count / raw)
    return result


def row(
    name: str, value: float, baseline: float, baseline_name: str, target: float | None
) -> dict[str, object]:
    return {
        "measurement": name,
        "seconds": round(value, 4),
        "baseline": baseline_name,
        "baseline_seconds": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "target_seconds": target,
        "passed": None if target is None else value < target,
    }


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| measurement | aiops (median) | baseline (same run) | ratio | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "per_second" in r:
            ours = f"{r['per_second']:,} projects/s ({r['seconds']} s)"
            base = f"{r['baseline']}: {r['baseline_per_second']:,}/s"
            target, result = "report projects/s", "-"
        else:
            ours = f"{float(r['seconds']) * 1000:.0f} ms"  # type: ignore[arg-type]
            base = f"{r['baseline']}: {float(r['baseline_seconds']) * 1000:.0f} ms"  # type: ignore[arg-type]
            target = f"< {r['target_seconds']} s"
            result = "pass" if r["passed"] else "FAIL"
        lines.append(
            f"| {r['measurement']} | {ours} | {base} | {r['ratio']}x | {target} | {result} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, 1,000 projects")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    quick = args.quick
    steps: list[tuple[str, Callable[[], object]]] = [
        ("start-up", lambda: startup(5 if quick else 15)),
        ("db upgrade", lambda: db_upgrade(3 if quick else 7)),
        ("projects", lambda: create_projects(1_000 if quick else 10_000)),
    ]
    rows: list[dict[str, object]] = []
    for label, step in steps:
        print(f"measuring {label} ...", file=sys.stderr, flush=True)
        result = step()
        rows.extend(result if isinstance(result, list) else [result])  # type: ignore[arg-type]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"quick": quick, "rows": rows}, indent=2) + "\n")
    print(markdown(rows))
    return 0 if all(r["passed"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
