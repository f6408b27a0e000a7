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
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from orchestration.landing import EVALUATION, FEEDS, dataset_dir_name
from orchestration.settings import DBT_MONTHLY_BUILD_EXCLUDES, MONTH_PATTERN, duckdb_config

# the environment variables that carry the build window to dbt (macros/period_window.sql)
WINDOW_ENV = {"period_from": "DVC_INDEX_PERIOD_FROM", "period_to": "DVC_INDEX_PERIOD_TO"}
WINDOW_MONTH = MONTH_PATTERN

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


def dbt_build_args(*, full_refresh: bool = False) -> list[str]:
    """dbt's command line for a monthly build: models, seeds and data tests, without the unit tests
    (DBT_MONTHLY_BUILD_EXCLUDES). The window is not on it but in the environment (dbt_window_env)."""
    args = ["build", *DBT_MONTHLY_BUILD_EXCLUDES]
    if full_refresh:
        args.append("--full-refresh")
    return args


def dbt_window_env(period_from: str, period_to: str) -> dict[str, str]:
    """The build window `period_from`..`period_to` (YYYY-MM) as the environment dbt reads it at execution
    (macros/period_window.sql). Not `--vars`: a changed var makes dbt re-parse the whole project every month."""
    for name, value in (("period_from", period_from), ("period_to", period_to)):
        if not WINDOW_MONTH.fullmatch(value or ""):
            raise ValueError(f"{name} must be YYYY-MM, got {value!r}")
    if period_from > period_to:
        raise ValueError(f"period_from {period_from} is after period_to {period_to}")
    return {WINDOW_ENV["period_from"]: period_from, WINDOW_ENV["period_to"]: period_to}


@contextlib.contextmanager
def window_in_environment(period_from: str, period_to: str) -> Iterator[dict[str, str]]:
    """The window set in this process's environment for the dbt command started inside (dagster-dbt gives its
    dbt process a copy of os.environ), and the previous values back afterwards."""
    env = dbt_window_env(period_from, period_to)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
