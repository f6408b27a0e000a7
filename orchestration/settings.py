"""Configuration by environment variables, one place for each (ARCHITECTURE.md, "Configuration")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# A month as every input names it (command line, partition key, build window, raw folder): YYYY-MM, ASCII digits,
# matched in full (`fullmatch`, so no trailing newline slips through).
MONTH_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt unit tests check the SQL of the method against hand-computed rows, not the month's data: the same result
# every month, and about a quarter of a small month's build. They run in CI (tests/dbt/test_staging.py builds
# with them and asserts they ran) and with a plain `dbt build`; monthly builds and rebuilds leave them out.
DBT_MONTHLY_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


@dataclass(frozen=True)
class Settings:
    """Paths and endpoints of one dvc-index installation."""

    home: Path
    duckdb_path: Path
    portal_base_url: str | None
    portal_token: str | None
    dagster_home: Path | None

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def releases_dir(self) -> Path:
        return self.home / "releases"

    @property
    def quality_dir(self) -> Path:
        return self.home / "quality"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for this home's monthly builds: its partial parse stays valid from month to month
        (dbt parses the whole project again when the profile's paths change, as they do from one home to another;
        the window is not part of what it parses, macros/period_window.sql)."""
        return self.home / "dbt" / "target"

    def dbt_env(self) -> dict[str, str]:
        """Environment that dbt's profiles.yml and sources read (absolute paths, never the token)."""
        return {"DVC_INDEX_HOME": str(self.home), "DUCKDB_PATH": str(self.duckdb_path)}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment, with the documented defaults."""
    env = os.environ if environ is None else environ
    home = Path(env.get("DVC_INDEX_HOME") or REPO_ROOT / "data").resolve()
    duckdb_path = Path(env.get("DUCKDB_PATH") or home / "warehouse.duckdb").resolve()
    dagster_home = env.get("DAGSTER_HOME")
    return Settings(
        home=home,
        duckdb_path=duckdb_path,
        portal_base_url=env.get("PORTAL_BASE_URL") or None,
        portal_token=env.get("PORTAL_TOKEN") or None,
        dagster_home=Path(dagster_home).resolve() if dagster_home else None,
    )


DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"


def duckdb_config(environ: dict[str, str] | None = None) -> dict[str, str]:
    """DuckDB settings for every connection of the pipeline to the warehouse (dbt reads the same variable in
    profiles.yml): the memory budget DVC_INDEX_DUCKDB_MEMORY_LIMIT, beyond which DuckDB spills to disk. Without
    it a connection may take 80% of the machine's memory (DuckDB's default): the gate's key counts over a national
    month's staging did."""
    env = os.environ if environ is None else environ
    return {"memory_limit": env.get("DVC_INDEX_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT}


def env_number(name: str, default: float, *, whole: bool, minimum: float, unit: str,
               environ: dict[str, str] | None = None) -> float:
    """A number from the environment variable `name` (`default` when unset or empty), refused naming the
    variable when it is not a number (a whole one if `whole`) or is below `minimum`."""
    env = os.environ if environ is None else environ
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number of" if whole else "a number of"
        raise ValueError(f"{name} must be {kind} {unit}, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g} {unit}, got {raw!r}")
    return value


def landing_workers(environ: dict[str, str] | None = None) -> int:
    """Worker processes that decode and land the pages of a large feed: DVC_INDEX_LANDING_WORKERS, by default
    the cores this process may run on, up to 4 (1 lands in the extracting process)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return int(env_number("DVC_INDEX_LANDING_WORKERS", max(1, min(4, cores)), whole=True, minimum=1,
                          unit="processes", environ=environ))


EVALUATION_PERIOD_TYPES = ("month", "quarter", "year")


def evaluation_periods(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The periods of the published evaluation a month's extraction lands (PORTAL_API.md §2):
    DVC_INDEX_EVALUATION_PERIODS, a comma-separated subset of month, quarter and year (to date), by default all
    three. A portal that is slow to compute a quarter or a year (the simulator at national scale, which reads
    their records again) can be asked for the month alone; the marts then have no published quarter or year."""
    env = os.environ if environ is None else environ
    value = env.get("DVC_INDEX_EVALUATION_PERIODS")
    if value is None or not value.strip():
        return EVALUATION_PERIOD_TYPES
    asked = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in asked if part not in EVALUATION_PERIOD_TYPES]
    if unknown or not asked:
        raise ValueError(
            f"DVC_INDEX_EVALUATION_PERIODS must list some of {', '.join(EVALUATION_PERIOD_TYPES)} separated by "
            f"commas, got {value!r}"
        )
    return tuple(t for t in EVALUATION_PERIOD_TYPES if t in asked)
