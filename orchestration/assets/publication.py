"""Publication of a month: the release folder data/releases/YYYY-MM/vN/ (orchestration/publication).

Runs after the quality gate, and re-verifies it for exactly the data it publishes: the month's latest gate record
must have passed and carry the fingerprint of the rows about to be written. Then it renders report.html,
and writes, audits and publishes the release atomically (write-audit-publish), or returns the version in force
when the data did not change.
"""

import dagster as dg
import duckdb

from orchestration.assets.dbt import WAREHOUSE_POOL
from orchestration.assets.quality import GATE_KEY
from orchestration.home_lock import HOME_LOCK, step_lock
from orchestration.partitions import monthly_partitions
from orchestration.progress import report
from orchestration.publication import CheckResult, publish_release
from orchestration.publication.fingerprint import data_fingerprint
from orchestration.publication.gate_record import GateRecord, latest_gate_record
from orchestration.publication.inputs import release_inputs
from orchestration.publication.report import (
    Anomaly,
    QualityCheck,
    QualitySummary,
    QuarantineCount,
    render_report,
)
from orchestration.settings import duckdb_config, load_settings

RELEASE_KEY = dg.AssetKey(["release", "monthly"])


class GateNotPassed(dg.Failure):
    """The month's data did not pass its quality gate, or is not the data the gate checked."""


def verify_gate(record: GateRecord | None, fingerprint: str, month: str) -> GateRecord:
    """The gate record that allows publishing this data, or GateNotPassed saying why not."""
    if record is None:
        raise GateNotPassed(description=f"{month}: the quality gate has not run for this month; run it first")
    if not record.passed:
        names = ", ".join(record.failed_names()) or "?"
        raise GateNotPassed(
            description=f"{month}: the quality gate failed ({names}); nothing was published. "
            f"Quality report: {record.data_docs_index}",
            metadata={"failed_checks": names, "data_docs": record.data_docs_index},
        )
    if record.fingerprint != fingerprint:
        raise GateNotPassed(
            description=f"{month}: the warehouse changed since the quality gate ran (run {record.run_id}); "
            "run the gate again on the data to publish"
        )
    return record


def quality_summary(record: GateRecord, con: duckdb.DuckDBPyConnection, month: str) -> QualitySummary:
    checks = [
        QualityCheck(name=c["check"], passed=bool(c["success"]), details=c.get("severity", ""))
        for c in record.checks
    ]
    failures = {c["check"]: c.get("message", "") for c in [*record.failed_checks, *record.warnings]}
    checks = [QualityCheck(c.name, c.passed, failures.get(c.name, "")) for c in checks]
    anomalies = [
        Anomaly(
            unit=f"{a.get('unit_name') or a.get('unit_id')} ({a.get('kind')})",
            measure=str(a.get("kind")),
            previous=a.get("previous_value"),
            current=a.get("value"),
        )
        for a in record.anomalies
    ]
    quarantine = [
        QuarantineCount(dataset=dataset, reason=reason, rows=int(rows))
        for dataset, reason, rows in con.execute(
            "select dataset, reason, count(*) from staging.stg_portal__quarantine "
            "where period = ? group by all order by 1, 2",
            [month],
        ).fetchall()
    ]
    return QualitySummary(checks=checks, anomalies=anomalies, quarantine=quarantine)


@dg.asset(
    key=RELEASE_KEY,
    deps=[GATE_KEY],
    partitions_def=monthly_partitions,
    group_name="release",
    pool=WAREHOUSE_POOL,
    description="The month's immutable release: marts as Parquet and CSV, published.duckdb, report.html, quality.",
)
def monthly_release(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    month = context.partition_key
    with (
        step_lock(settings.home, HOME_LOCK, f"release {month}", lambda line: report(context, line)),
        duckdb.connect(str(settings.duckdb_path), read_only=True, config=duckdb_config()) as con,
    ):
        record = verify_gate(latest_gate_record(settings.quality_dir, month), data_fingerprint(con, month), month)
        html = render_report(con, month, quality_summary(record, con, month))
        checks = [
            CheckResult(name=c["check"], passed=bool(c["success"]), blocking=c.get("severity") == "critical")
            for c in record.checks
        ]
        report(context, f"release {month}: writing the release and auditing it")
        published = publish_release(
            con,
            month,
            releases_dir=settings.releases_dir,
            raw_dir=settings.raw_dir,
            input_files=release_inputs(settings.raw_dir),
            checks=checks,
            quality=record.run_dir,
            report_html=html.encode("utf-8"),
            secrets=[settings.portal_token] if settings.portal_token else None,
        )
    report(context, f"release {month}: v{published.version} {published.status} at {published.path}")
    return dg.MaterializeResult(
        metadata={
            "version": published.version,
            "status": published.status,
            "path": dg.MetadataValue.path(str(published.path)),
            "report": dg.MetadataValue.path(str(published.path / "report.html")),
            "published_duckdb": dg.MetadataValue.path(str(published.path / "published.duckdb")),
            "data_docs": dg.MetadataValue.path(record.data_docs_index),
        }
    )
