"""The quality gate of one month: `run_quality_gate(duckdb_path, month) -> GateResult`.

It opens the warehouse read-only, builds each batch of expectations/checkpoints/monthly_gate.json from DuckDB,
validates it against its suite through a GX Checkpoint (GX's results kept as validations/<batch>.json), writes
the reviewer's page `$DVC_INDEX_HOME/quality/<YYYY-MM>/<run_id>/index.html` (orchestration/quality/page.py: in
Vietnamese, self-contained, offline), and returns which checks failed, with messages naming the table, unit or
column, plus the month-on-month anomalies for the release summary (also written beside the page as
summary.json). A failed check of severity critical fails the gate; warnings (the anomalies, unless
QualityConfig.anomalies_block) do not. A batch that cannot be built (a table missing from the warehouse, a
column renamed) is a failed check of its own, so the gate reports rather than crashes on a broken warehouse.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.quality import mart_batches, staging_batches
from orchestration.quality.anomalies import ANOMALY_COLUMNS, find_anomalies, unit_changes
from orchestration.quality.config import QualityConfig
from orchestration.quality.definitions import load_gate, load_suite_json
from orchestration.quality.outcomes import CheckOutcome, outcomes_of, plain
from orchestration.quality.page import PAGE_NAME, render_quality_page
from orchestration.quality.periods import Month
from orchestration.quality.warehouse import MissingTable, connect
from orchestration.settings import load_settings

ANOMALY_SUITE = "unit_changes"


@dataclass(frozen=True)
class BatchContext:
    con: duckdb.DuckDBPyConnection
    month: Month
    baseline: list[Month]
    config: QualityConfig


BATCHES: dict[str, Callable[[BatchContext], pd.DataFrame]] = {
    "staging_columns": lambda c: staging_batches.column_signatures(c.con),
    "staging_duplicate_keys": lambda c: staging_batches.duplicate_keys(c.con, c.month),
    "staging_date_ranges": lambda c: staging_batches.date_ranges(c.con, c.month, c.config.date_lookback_years),
    "staging_volumes": lambda c: staging_batches.volumes(c.con, c.month, c.baseline, c.config.volume_baseline_months),
    "staging_quarantine": lambda c: staging_batches.quarantine_shares(c.con, c.month),
    "criterion_values": lambda c: mart_batches.criterion_values(c.con, c.month),
    "unit_scores": lambda c: mart_batches.unit_scores(c.con, c.month),
    "rankings": lambda c: mart_batches.rankings(c.con, c.month),
    "coverage": lambda c: mart_batches.coverage(c.con, c.month),
    "province_counts": lambda c: mart_batches.province_counts(c.con, c.month),
    "mart_columns": lambda c: mart_batches.mart_columns(c.con),
    "unit_changes": lambda c: unit_changes(c.con, c.month, c.config),
}


@dataclass
class GateResult:
    """What the gate found for a month. `passed` is False when any critical check failed."""

    month: str
    run_id: str
    passed: bool
    failed_checks: list[CheckOutcome]
    warnings: list[CheckOutcome]
    notes: list[str]
    data_docs_index: Path
    anomalies: pd.DataFrame
    checks: list[CheckOutcome] = field(repr=False)
    config: QualityConfig = field(repr=False)
    duration_seconds: float = 0.0

    def summary(self) -> dict:
        """A JSON-serialisable account of the run, for the release manifest and the reviewer."""
        return {
            "month": self.month,
            "run_id": self.run_id,
            "passed": self.passed,
            "data_docs_index": str(self.data_docs_index),
            "duration_seconds": round(self.duration_seconds, 2),
            "failed_checks": [c.as_dict() for c in self.failed_checks],
            "warnings": [c.as_dict() for c in self.warnings],
            "notes": list(self.notes),
            "checks": [
                {"check": c.check, "suite": c.suite, "severity": c.severity, "success": c.success,
                 "title_vi": c.title_vi, "description": c.description, "observed": plain(c.observed),
                 "unexpected_count": c.unexpected_count, "element_count": c.element_count}
                for c in self.checks
            ],
            "anomalies": [plain(r) for r in self.anomalies.to_dict(orient="records")],
            "config": self.config.as_dict(),
        }

    def render(self) -> str:
        """Plain-text report for a terminal: verdict, failed checks, warnings, notes, where the page is."""
        verdict = "passed" if self.passed else f"FAILED ({len(self.failed_checks)} checks)"
        lines = [f"Quality gate {self.month} (run {self.run_id}): {verdict}"]
        lines += [f"  FAILED {c.check}: {c.message}" for c in self.failed_checks]
        lines += [f"  warning {c.check}: {c.message}" for c in self.warnings]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(f"  quality report: {self.data_docs_index}")
        return "\n".join(lines)


def gate_parameters(month: Month, config: QualityConfig) -> dict:
    """The suite parameters ($PARAMETER in expectations/suites/*.json) for a month and a configuration."""
    return {
        "quarantine_max_share": config.quarantine_max_share,
        "volume_min_ratio": 1 / config.volume_max_ratio,
        "volume_max_ratio": config.volume_max_ratio,
        "provinces_expected": month.expected_province_count,
        "points_change_min": -config.anomaly_max_points_change,
        "points_change_max": config.anomaly_max_points_change,
        "dossier_ratio_min": 1 / config.anomaly_volume_ratio,
        "dossier_ratio_max": config.anomaly_volume_ratio,
    }


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by time, in the form of the extraction ids (UTC, YYYYMMDDTHHMMSSffffffZ)."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def run_quality_gate(
    duckdb_path: str | Path,
    month: str,
    previous_months: list[str] | None = None,
    config: QualityConfig | None = None,
    *,
    quality_dir: str | Path | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> GateResult:
    """Validate `month` (YYYY-MM) of the warehouse at `duckdb_path` and write the reviewer's page.

    previous_months: the months whose staging volumes make the baseline (default: the
    QualityConfig.volume_baseline_months calendar months before `month`; months without rows are skipped).
    config: thresholds (default QualityConfig.from_env()). quality_dir: where runs go (default the settings'
    $DVC_INDEX_HOME/quality); this run's page, results and summary are in quality_dir/<month>/<run_id>/.
    progress: called with a line per suite validated ("gate 2025-07: staging_keys passed (2 of 12)").
    """
    from orchestration.quality.validation import GateValidator  # imports GX, which takes seconds

    started = time.monotonic()
    config = config or QualityConfig.from_env()
    target = Month(month)
    baseline = (
        sorted((Month(m) for m in previous_months), key=lambda m: m.label, reverse=True)
        if previous_months is not None
        else target.previous(config.volume_baseline_months)
    )
    run_time = datetime.now(UTC)
    run_id = run_id or new_run_id(run_time)
    run_dir = Path(quality_dir or load_settings().quality_dir) / target.label / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    parameters = gate_parameters(target, config)
    gate = load_gate()
    validator = GateValidator(gate, run_dir, run_name=f"{target.label}_{run_id}", run_time=run_time)

    checks: list[CheckOutcome] = []
    suites = {v.suite: load_suite_json(v.suite) for v in gate.validations}
    notes: list[str] = []
    changes: pd.DataFrame | None = None
    with connect(duckdb_path) as con:
        context = BatchContext(con, target, baseline, config)
        for number, validation in enumerate(gate.validations, start=1):
            try:
                batch = BATCHES[validation.batch](context)
            except (MissingTable, duckdb.Error) as error:
                checks.append(_could_not_run(validation.suite, validation.batch, error))
                if progress:
                    progress(f"gate {target.label}: {validation.suite} could not run ({number} of "
                             f"{len(gate.validations)})")
                continue
            notes += _notes_on(validation.batch, batch, target, config)
            if validation.batch == "unit_changes":
                changes = batch
            severity = "critical" if validation.suite == ANOMALY_SUITE and config.anomalies_block else None
            result = validator.validate(validation, suites[validation.suite], batch, parameters, severity)
            outcomes = outcomes_of(result, validation.suite, validation.batch, parameters)
            checks += outcomes
            if progress:
                failed = [o for o in outcomes if not o.success]
                verdict = "passed" if not failed else f"{len(failed)} of {len(outcomes)} checks not passed"
                progress(f"gate {target.label}: {validation.suite} {verdict} ({number} of {len(gate.validations)})")

    anomalies = find_anomalies(changes, target, config) if changes is not None else pd.DataFrame(columns=ANOMALY_COLUMNS)
    gate_result = GateResult(
        month=target.label,
        run_id=run_id,
        passed=not any(c.blocking for c in checks),
        failed_checks=[c for c in checks if c.blocking],
        warnings=[c for c in checks if not c.success and not c.blocking],
        notes=notes,
        data_docs_index=run_dir / PAGE_NAME,
        anomalies=anomalies,
        checks=checks,
        config=config,
        duration_seconds=time.monotonic() - started,
    )
    page = render_quality_page(
        month=gate_result.month, run_id=run_id, passed=gate_result.passed, checks=checks,
        suites=suites, notes=notes,
        anomalies=anomalies, config=config, duration_seconds=gate_result.duration_seconds,
    )
    gate_result.data_docs_index.write_text(page, encoding="utf-8")
    (run_dir / "summary.json").write_text(
        json.dumps(gate_result.summary(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return gate_result


def _could_not_run(suite: str, batch: str, error: Exception) -> CheckOutcome:
    reason = str(error).strip().splitlines()[0]
    return CheckOutcome(
        check=f"{suite}.batch_built",
        suite=suite,
        batch=batch,
        success=False,
        severity="critical",
        description=f"The {batch} batch can be read from the warehouse",
        message=f"the checks of suite {suite} could not run: {reason}",
    )


def _notes_on(batch_name: str, batch: pd.DataFrame, month: Month, config: QualityConfig) -> list[str]:
    """What the reviewer should know that is not a failure: comparisons that had nothing to compare with."""
    if batch_name == "staging_volumes":
        alone = batch.loc[batch["baseline_months_used"] == "", "table_name"].tolist()
        if alone:
            return [f"staging volumes of {month.label} not compared (no earlier month with rows): {', '.join(alone)}"]
    if batch_name == "unit_changes":
        previous = month.shifted(-1).label
        if batch.empty:
            return [f"no unit scored in both {previous} and {month.label}: month-on-month changes not judged"]
        if batch["previous_dossiers"].sum() == 0:
            return [f"no staging dossiers received in {previous}: dossier volumes per unit not compared"]
        if batch["dossier_ratio"].isna().all():
            return [
                f"no unit received {config.anomaly_min_dossiers} dossiers in {previous} or {month.label}: "
                "dossier volumes per unit not compared"
            ]
    return []
