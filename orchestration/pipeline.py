"""A month's run through the Dagster definitions, in process: what `dvc-index run` and the tests call."""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field

import dagster as dg

from orchestration.progress import VERBOSE_ENV
from orchestration.settings import Settings

DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


SOURCES = ("records", "evaluation")


class MonthFailed(Exception):
    """A month's run failed; the message says which steps and why."""


class FeedsMissing(MonthFailed):
    """The portal answers 404 for record feeds: it publishes the evaluation only (a public portal)."""


@dataclass
class MonthSummary:
    month: str
    run_id: str
    materialized: list[str] = field(default_factory=list)
    extractions: dict[str, dict] = field(default_factory=dict)
    release: dict = field(default_factory=dict)

    def render(self) -> str:
        lines = [f"  {self.month}: run {self.run_id[:8]}, {len(self.materialized)} assets"]
        for dataset, meta in sorted(self.extractions.items()):
            count = meta.get("records", meta.get("pages"))
            what = "records" if "records" in meta else "pages"
            lines.append(f"    raw/{dataset}: {count:,} {what} → {meta.get('path', '')}")
        if self.release:
            lines.append(f"    release v{self.release.get('version')} ({self.release.get('status')}): {self.release.get('path')}")
            lines.append(f"      report:           {self.release.get('report')}")
            lines.append(f"      published.duckdb: {self.release.get('published_duckdb')}")
            lines.append(f"      quality report:   {self.release.get('data_docs')}")
        return "\n".join(lines)


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The Dagster instance under DAGSTER_HOME (default $DVC_INDEX_HOME/dagster), so runs show in `dagster dev`."""
    home = settings.dagster_home or settings.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def export_paths(settings: Settings) -> None:
    """The home's paths in this process's environment, where dbt's profile and the Dagster assets read them."""
    for name, value in settings.dbt_env().items():
        os.environ[name] = value
    settings.raw_dir.mkdir(parents=True, exist_ok=True)


def run_months(
    months: list[str],
    *,
    portal_url: str,
    settings: Settings,
    full_refresh: bool = False,
    source: str = "records",
    progress: bool = False,
    verbose: bool = False,
) -> list[MonthSummary]:
    """Extract and build each month in order; stop at the first month that fails.

    `source` 'records' lands the record feeds and the published evaluation (which reconciles them); 'evaluation'
    lands the published evaluation alone, and the warehouse ranks the portal's own numerators and denominators.
    With `progress`, one line per month on stdout (a backfill). `verbose` shows Dagster's and dbt's full output
    on the console; otherwise only the stages' progress lines (orchestration/progress.py) and warnings."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    export_paths(settings)
    if verbose:
        os.environ[VERBOSE_ENV] = "1"
    else:
        os.environ.pop(VERBOSE_ENV, None)
    from dagster_dbt import DbtCliResource

    from orchestration.assets.dbt import warehouse_models
    from orchestration.assets.ingestion import ingestion_assets, raw_evaluation
    from orchestration.assets.publication import monthly_release
    from orchestration.assets.quality import quality_gate
    from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project, prepare_dbt_project
    from orchestration.resources import PortalResource

    prepare_dbt_project()
    instance = dagster_instance(settings)
    resources = {"portal": PortalResource(base_url=portal_url), "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)}
    ingestion = [raw_evaluation] if source == "evaluation" else list(ingestion_assets)
    what = "the published evaluation" if source == "evaluation" else "the portal's feeds"
    summaries = []
    started = time.monotonic()
    for index, month in enumerate(months, start=1):
        print(f"== {month}: extracting {what} and building the warehouse", file=sys.stderr, flush=True)
        result = dg.materialize(
            [*ingestion, warehouse_models, quality_gate, monthly_release],
            partition_key=month,
            resources=resources,
            instance=instance,
            raise_on_error=False,
            tags={"dvc_index/month": month, "dvc_index/source": source},
            run_config={
                "loggers": {"console": {"config": {"log_level": "INFO" if verbose else "WARNING"}}},
                "ops": {warehouse_models.op.name: {"config": {"full_refresh": full_refresh}}},
            },
        )
        if not result.success:
            failures = _failures(result)
            missing = _missing_feeds(failures)
            if source == "records" and missing:
                raise FeedsMissing(
                    f"{month} failed: the portal has no record feed {', '.join(missing)} (HTTP 404): it publishes "
                    "the evaluation only. Run from the published evaluation alone with --source evaluation "
                    f"(dvc-index run --month {month} --source evaluation).\n" + "\n".join(failures)
                )
            raise MonthFailed(f"{month} failed:\n" + "\n".join(failures) + _gate_report(settings, month))
        summary = MonthSummary(month=month, run_id=result.run_id)
        for event in result.get_asset_materialization_events():
            mat = event.event_specific_data.materialization
            key = mat.asset_key.to_user_string()
            summary.materialized.append(key)
            if key.startswith("raw/"):
                summary.extractions[key.removeprefix("raw/")] = {k: v.value for k, v in mat.metadata.items()}
            if key == "release/monthly":
                summary.release = {k: v.value for k, v in mat.metadata.items()}
        summaries.append(summary)
        if progress:
            release = summary.release
            print(
                f"[{index}/{len(months)}] {month}: built from {what}, release "
                f"v{release.get('version', '?')} ({release.get('status', 'not published')}), "
                f"{time.monotonic() - started:.0f} s elapsed",
                flush=True,
            )
    return summaries


def _missing_feeds(failures: list[str]) -> list[str]:
    """The record feeds whose extraction failed with 404, from the run's step failures."""
    return sorted({
        match.group(1)
        for line in failures
        for match in re.finditer(r"/api/v1/sync/([a-z-]+)\S*[^\n]*?\b404\b", line)
    })


def _gate_report(settings: Settings, month: str) -> str:
    """The failed checks of the month's latest quality gate and where its report is, when it failed."""
    from orchestration.publication.gate_record import latest_gate_record

    record = latest_gate_record(settings.quality_dir, month)
    if record is None or record.passed:
        return ""
    lines = [f"\n  the quality gate failed {len(record.failed_checks)} check(s); nothing was published for {month}:"]
    lines += [f"    - {c.get('check')}: {c.get('message', '')}" for c in record.failed_checks]
    lines.append(f"  quality report: {record.data_docs_index}")
    return "\n".join(lines)


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    lines = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip() if error else "unknown error"
            cause = error.cause.message.strip() if error and error.cause else ""
            lines.append(f"  - {event.step_key}: {message}" + (f" ({cause})" if cause else ""))
    return lines or ["  - the run failed without a step failure; see the Dagster run log"]


