"""The monthly quality gate: Great Expectations suites over the DuckDB warehouse (see gate.py).

Public API: `run_quality_gate(duckdb_path, month, previous_months=None, config=None) -> GateResult`,
`QualityConfig` (thresholds, env-overridable), `unit_changes` and `find_anomalies` (month-on-month jumps).
Dagster stays out of this package; the Dagster asset checks call it.
"""

from orchestration.quality.anomalies import find_anomalies, unit_changes
from orchestration.quality.config import QualityConfig
from orchestration.quality.gate import GateResult, run_quality_gate
from orchestration.quality.outcomes import CheckOutcome

__all__ = ["CheckOutcome", "GateResult", "QualityConfig", "find_anomalies", "run_quality_gate", "unit_changes"]
