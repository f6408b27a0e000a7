"""Rebuild a warehouse from a raw landing zone alone: what `dvc-index reproduce` gives `reproduce()`.

dbt builds every period found under raw_dir into a new DuckDB file, from a separate target folder so that it
never touches the live project's manifest. The restated flag (rpt_rankings.is_restated) reads the history of
totals per extraction (fct_unit_score_revisions), which a build from the latest extractions alone cannot know:
so the build first replays each month's earlier extractions, oldest first (round i pins every month that has
more than i extractions of a feed to its i-th one, via the dbt var pinned_extractions), then builds on the
latest ones, as the months were built when their extractions landed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.landing import FEEDS, dataset_dir_name
from orchestration.settings import DBT_MONTHLY_BUILD_EXCLUDES, DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def extraction_rounds(raw_dir: Path) -> list[dict[str, dict[str, str]]]:
    """pinned_extractions for each replay round before the final build on the latest extractions."""
    history: dict[str, dict[str, list[str]]] = {}
    for dataset in FEEDS:
        name = dataset_dir_name(dataset)
        for period_dir in sorted((raw_dir / name).glob("period=*")):
            ids = sorted(p.name.removeprefix("extracted_at=") for p in period_dir.glob("extracted_at=*"))
            if len(ids) > 1:
                history.setdefault(name, {})[period_dir.name.removeprefix("period=")] = ids
    rounds = max((len(ids) - 1 for periods in history.values() for ids in periods.values()), default=0)
    return [
        {
            name: {period: ids[i] for period, ids in periods.items() if len(ids) > i + 1}
            for name, periods in history.items()
        }
        for i in range(rounds)
    ]


def rebuild_warehouse(raw_dir: Path, warehouse_path: Path) -> None:
    """Build a new warehouse at warehouse_path from exactly the extractions under raw_dir (named `raw`)."""
    raw_dir, warehouse_path = Path(raw_dir).resolve(), Path(warehouse_path).resolve()
    if raw_dir.name != "raw":
        raise ValueError(f"the landing zone must be a folder named raw, not {raw_dir}")
    env = {
        **os.environ,
        "DVC_INDEX_HOME": str(raw_dir.parent),
        "DUCKDB_PATH": str(warehouse_path),
        "DBT_TARGET": os.environ.get("DBT_TARGET", "dev"),
    }
    env.pop("PORTAL_TOKEN", None)  # dbt never needs it
    with tempfile.TemporaryDirectory(prefix="rebuild-dbt-") as scratch:
        for pins in [*extraction_rounds(raw_dir), None]:
            args = [
                DBT, "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                "--target-path", str(Path(scratch) / "target"), "--log-path", str(Path(scratch) / "logs"),
                "--quiet", *DBT_MONTHLY_BUILD_EXCLUDES,
            ]
            if pins:
                args += ["--vars", json.dumps({"pinned_extractions": pins})]
            done = subprocess.run(args, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
                raise RuntimeError(f"rebuilding the warehouse from {raw_dir} failed (dbt build):\n{tail}")
