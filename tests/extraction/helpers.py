"""Reading back what the extractor landed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.landing import META_COLUMNS, list_extractions


def landed_table(extraction: Path) -> pa.Table:
    parts = sorted(extraction.glob("part-*.parquet"))
    return pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default")


def landed_records(extraction: Path) -> list[dict]:
    """Landed rows without the extraction's own metadata, in landing order."""
    table = landed_table(extraction)
    keep = [c for c in table.column_names if c not in META_COLUMNS or c == "_record_key"]
    return table.select(keep).to_pylist()


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def only_extraction(raw_dir: Path, dataset: str, period: str) -> Path:
    extractions = list_extractions(raw_dir, dataset, period)
    assert len(extractions) == 1, extractions
    return extractions[0]
