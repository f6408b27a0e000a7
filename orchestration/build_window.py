"""Which months a warehouse build covers: the partition's month, plus any earlier period landed but not yet staged.

A month's run lands some earlier periods of a few feeds as history (orchestration/history.py); staging must build
them too, or the month's lookbacks would find nothing. Reading the warehouse here is read-only and happens before
dbt starts, so the one-writer rule holds.

The intermediate models and marts then recompute every period with a month from period_from on, and the comparable
rows of the period before (dbt_project/macros/rebuilt_periods.sql): a window that starts earlier costs more, and a
month's run costs the same whatever the history behind it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import duckdb

from orchestration.landing import EVALUATION, FEEDS, dataset_dir_name
from orchestration.settings import DBT_MONTHLY_BUILD_EXCLUDES, duckdb_config

# the staging table that holds every landed record of a dataset, quarantined ones included
STAGED_TABLE = {**{ds: f"base_portal__{dataset_dir_name(ds)}" for ds in FEEDS}, EVALUATION: "stg_portal__evaluation_inputs"}


def landed_periods(raw_dir: Path) -> dict[str, set[str]]:
    """Periods with at least one complete extraction, per dataset."""
    landed: dict[str, set[str]] = {}
    for dataset in STAGED_TABLE:
        root = raw_dir / dataset_dir_name(dataset)
        landed[dataset] = {
            p.name.removeprefix("period=") for p in root.glob("period=*") if any(p.glob("extracted_at=*"))
        }
    return landed


def staged_periods(duckdb_path: Path) -> dict[str, set[str]]:
    """Periods present in staging, per dataset (empty when the warehouse or a table does not exist yet)."""
    staged: dict[str, set[str]] = {dataset: set() for dataset in STAGED_TABLE}
    if not duckdb_path.exists():
        return staged
    with duckdb.connect(str(duckdb_path), read_only=True, config=duckdb_config()) as con:
        for dataset, table in STAGED_TABLE.items():
            with contextlib.suppress(duckdb.Error):
                rows = con.execute(f"select distinct period from staging.{table}").fetchall()
                staged[dataset] = {str(p) for (p,) in rows}
    return staged


def build_window(first: str, last: str, raw_dir: Path, duckdb_path: Path) -> tuple[str, str]:
    """(period_from, period_to) for building `first`..`last`: starts earlier if an earlier landed period is unstaged."""
    landed = landed_periods(raw_dir)
    staged = staged_periods(duckdb_path)
    unstaged = [p for ds in STAGED_TABLE for p in landed[ds] - staged[ds] if p < first]
    return (min([first, *unstaged]), last)


def dbt_build_args(period_from: str, period_to: str, *, full_refresh: bool = False) -> list[str]:
    """dbt's command line for building the months `period_from`..`period_to` (YYYY-MM): models, seeds and data
    tests of the window, without the unit tests (DBT_MONTHLY_BUILD_EXCLUDES)."""
    args = ["build", "--vars", json.dumps({"period_from": period_from, "period_to": period_to}),
            *DBT_MONTHLY_BUILD_EXCLUDES]
    if full_refresh:
        args.append("--full-refresh")
    return args
