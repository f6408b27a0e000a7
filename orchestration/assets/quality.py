"""The quality gate of a month: Great Expectations on the warehouse, as a blocking check.

dbt's own tests already run inside `dbt build` (their failures fail the warehouse step, and dagster-dbt shows
each as an asset check). This asset then validates the month read read-only from DuckDB against the suites in
expectations/ (orchestration/quality), writes the reviewer's quality report (index.html, Vietnamese, offline) under
$DVC_INDEX_HOME/quality/YYYY-MM/<run>/, and records the verdict with the fingerprint of the very rows a release
would publish (gate.json). Its `passed` check is blocking: when it fails, the release is not attempted.
"""

import dagster as dg
import duckdb

from orchestration.assets.dbt import WAREHOUSE_POOL, warehouse_models
from orchestration.home_lock import HOME_LOCK, step_lock
from orchestration.partitions import monthly_partitions
from orchestration.progress import report
from orchestration.publication.fingerprint import data_fingerprint
from orchestration.publication.gate_record import GateRecord, write_gate_record
from orchestration.settings import duckdb_config, load_settings

GATE_KEY = dg.AssetKey(["quality", "gate"])
GATE_CHECK = "passed"
MART_KEYS = [key for key in warehouse_models.keys if key.path[0] == "marts"]


def gate_record_of(result, fingerprint: str) -> GateRecord:
    summary = result.summary()
    return GateRecord(
        month=result.month,
        run_id=result.run_id,
        passed=result.passed,
        fingerprint=fingerprint,
        failed_checks=summary["failed_checks"],
        warnings=summary["warnings"],
        notes=summary["notes"],
        anomalies=summary["anomalies"],
        data_docs_index=summary["data_docs_index"],
        checks=summary["checks"],
    )


@dg.asset(
    key=GATE_KEY,
    deps=MART_KEYS,
    partitions_def=monthly_partitions,
    group_name="quality",
    pool=WAREHOUSE_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            GATE_CHECK,
            asset=GATE_KEY,
            blocking=True,
            description="Every critical expectation of the month's staging and marts suites passed.",
        )
    ],
    description="Great Expectations on the month's staging tables and marts, with the reviewer's quality report (index.html).",
)
def quality_gate(context: dg.AssetExecutionContext):
    from orchestration.quality.gate import run_quality_gate

    settings = load_settings()
    month = context.partition_key
    with step_lock(settings.home, HOME_LOCK, f"gate {month}", lambda line: report(context, line)):
        result = run_quality_gate(settings.duckdb_path, month, quality_dir=settings.quality_dir,
                                  progress=lambda line: report(context, line))
        with duckdb.connect(str(settings.duckdb_path), read_only=True, config=duckdb_config()) as con:
            fingerprint = data_fingerprint(con, month)
        record = gate_record_of(result, fingerprint)
        write_gate_record(result.data_docs_index.parent, record)
    context.log.info(result.render())
    report(None, f"gate {month}: {'passed' if result.passed else 'FAILED'}, quality report {result.data_docs_index}")
    failed = [f"{c['check']}: {c['message']}" for c in record.failed_checks]
    yield dg.MaterializeResult(
        metadata={
            "passed": result.passed,
            "failed_checks": len(record.failed_checks),
            "warnings": len(record.warnings),
            "anomalies": len(record.anomalies),
            "data_docs": dg.MetadataValue.path(str(result.data_docs_index)),
            "fingerprint": fingerprint,
        }
    )
    yield dg.AssetCheckResult(
        check_name=GATE_CHECK,
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(failed)[:2000] if failed else "all critical expectations passed",
        metadata={"data_docs": dg.MetadataValue.path(str(result.data_docs_index)), "failed": len(failed)},
    )
