"""The gate's verdict on exactly the data it checked, as the publication step reads it back.

The quality gate's Dagster check writes `gate.json` into its run folder ($DVC_INDEX_HOME/quality/YYYY-MM/<run>/)
with the data fingerprint of the month's release rows. Publication takes the latest record of the month and
publishes only when it passed and its fingerprint is the one of the data about to be published: a blocking
check alone has been seen not to stop a downstream Python asset, and a rerun of dbt between the check and the
publication would otherwise publish unchecked data.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

RECORD_NAME = "gate.json"


@dataclass(frozen=True)
class GateRecord:
    month: str
    run_id: str
    passed: bool
    fingerprint: str
    failed_checks: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)
    data_docs_index: str = ""
    checks: list[dict] = field(default_factory=list)

    @property
    def run_dir(self) -> Path:
        return Path(self.data_docs_index).parent if self.data_docs_index else Path()

    def failed_names(self) -> list[str]:
        return [c.get("check", "?") for c in self.failed_checks]


def write_gate_record(run_dir: Path, record: GateRecord) -> Path:
    """Write the record atomically (a reader never sees half of it)."""
    path = run_dir / RECORD_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def latest_gate_record(quality_dir: Path, month: str) -> GateRecord | None:
    """The most recent gate record of a month (run folders sort by time), or None when the gate never ran."""
    records = sorted((quality_dir / month).glob(f"*/{RECORD_NAME}"))
    if not records:
        return None
    data = json.loads(records[-1].read_text(encoding="utf-8"))
    return GateRecord(**data)
