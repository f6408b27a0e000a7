"""The immutable raw landing zone (docs/raw_landing.md): extract one feed for one period into Parquet parts.

An extraction is written under `_inprogress/` page by page, with a checkpoint after each page, so a crash in the
middle of paging resumes where it stopped. Only a complete extraction whose distinct keys match the portal's
`total` is renamed into `extracted_at=<id>/` beside its `manifest.json`; an earlier extraction is never touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import __version__
from orchestration.portal.client import PortalClient, PortalError

log = logging.getLogger(__name__)

FEEDS: dict[str, tuple[str, ...]] = {
    "units": ("MaDinhDanh",),
    "procedures": ("MaTTHC", "MaDinhDanh"),
    "publication-decisions": ("SoQuyetDinh",),
    "dossiers": ("MaHoSo",),
    "petitions": ("MaPAKN",),
    "ratings": ("MaHoSo", "NgayDanhGia"),
    "report-counts": ("MaDinhDanh", "Ky"),
}
# The published evaluation (PORTAL_API.md §2) lands as one record per response page, kept whole.
EVALUATION = "evaluation"
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    **FEEDS,
    EVALUATION: ("endpoint", "timeType", "block", "rootDepartmentId", "currentPage"),
}
INPROGRESS = "_inprogress"
CHECKPOINT = "checkpoint.json"
MANIFEST = "manifest.json"
META_COLUMNS = ("_dataset", "_period", "_extracted_at", "_page", "_row", "_record_key")

ProgressCallback = Callable[[str, str, int, int], None]


class IncompleteExtractionError(PortalError):
    """The pages did not add up to the portal's `total` of distinct keys."""


def dataset_dir_name(dataset: str) -> str:
    return dataset.replace("-", "_")


def period_dir(raw_dir: Path, dataset: str, period: str) -> Path:
    return raw_dir / dataset_dir_name(dataset) / f"period={period}"


def new_extraction_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def record_key(record: dict[str, Any], key_fields: Iterable[str]) -> str | None:
    parts = [record.get(f) for f in key_fields]
    if any(p is None or p == "" for p in parts):
        return None
    return "|".join(str(p) for p in parts)


def as_text(value: Any) -> str | None:
    """A JSON value as the text landed in raw: strings as they are, everything else as compact JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def records_to_table(
    records: list[dict[str, Any]], *, dataset: str, period: str, extraction_id: str, page: int
) -> pa.Table:
    """Records of one page as an Arrow table of string columns plus the metadata columns."""
    key_fields = KEY_FIELDS[dataset]
    fields: dict[str, None] = {}
    for rec in records:
        for name in rec:
            fields.setdefault(name, None)
    columns: dict[str, pa.Array] = {
        name: pa.array([as_text(rec.get(name)) for rec in records], type=pa.string()) for name in fields
    }
    n = len(records)
    columns["_dataset"] = pa.array([dataset] * n, type=pa.string())
    columns["_period"] = pa.array([period] * n, type=pa.string())
    columns["_extracted_at"] = pa.array([extraction_id] * n, type=pa.string())
    columns["_page"] = pa.array([page] * n, type=pa.int32())
    columns["_row"] = pa.array(range(n), type=pa.int32())
    columns["_record_key"] = pa.array([record_key(rec, key_fields) for rec in records], type=pa.string())
    return pa.table(columns)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class ExtractionResult:
    dataset: str
    period: str
    extraction_id: str
    path: Path
    record_count: int
    distinct_keys: int
    total_reported: int
    pages: int
    resumed: bool
    seconds: float

    @property
    def records_per_second(self) -> float:
        return self.record_count / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class FeedExtractor:
    """Lands one portal feed and period into the raw zone."""

    client: PortalClient
    raw_dir: Path
    page_size: int = 5000
    max_restarts: int = 2
    progress: ProgressCallback | None = None

    def extract(self, dataset: str, period: str) -> ExtractionResult:
        """Extract `dataset` for `period` (resuming an interrupted extraction of it, if any)."""
        if dataset not in FEEDS:
            raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(FEEDS)}")
        restarts = 0
        while True:
            try:
                return self._extract_once(dataset, period)
            except IncompleteExtractionError as exc:
                restarts += 1
                if restarts > self.max_restarts:
                    raise
                log.warning("%s; starting the extraction again (%d/%d)", exc, restarts, self.max_restarts)

    def _extract_once(self, dataset: str, period: str) -> ExtractionResult:
        started = time.monotonic()
        base = period_dir(self.raw_dir, dataset, period)
        work, checkpoint = self._open_work_dir(base)
        resumed = checkpoint["pages"] > 0
        extraction_id = checkpoint["extraction_id"]
        while not checkpoint["done"]:
            page_no = checkpoint["pages"]
            page = self.client.get_feed_page(dataset, period, checkpoint["next_cursor"], self.page_size)
            table = records_to_table(
                page.records, dataset=dataset, period=period, extraction_id=extraction_id, page=page_no
            )
            write_part(work, table, page_no)
            checkpoint.update(
                pages=page_no + 1,
                next_cursor=page.next_cursor,
                done=page.next_cursor is None,
                total=page.total,
                records=checkpoint["records"] + len(page.records),
            )
            if page.generated_at and page.generated_at not in checkpoint["generated_at"]:
                checkpoint["generated_at"].append(page.generated_at)
            _write_json_atomic(work / CHECKPOINT, checkpoint)
            if self.progress:
                self.progress(dataset, period, checkpoint["records"], page.total)
        return self._complete(dataset, period, base, work, checkpoint, resumed, started)

    def _open_work_dir(self, base: Path) -> tuple[Path, dict[str, Any]]:
        inprogress = base / INPROGRESS
        if inprogress.exists():
            for candidate in sorted(inprogress.glob("extracted_at=*")):
                cp_path = candidate / CHECKPOINT
                if cp_path.exists():
                    checkpoint = json.loads(cp_path.read_text(encoding="utf-8"))
                    log.info("resuming extraction %s after page %d", candidate.name, checkpoint["pages"])
                    return candidate, checkpoint
                shutil.rmtree(candidate)  # crashed before its first page: nothing to keep
        extraction_id = new_extraction_id()
        while (base / f"extracted_at={extraction_id}").exists():
            time.sleep(0.001)
            extraction_id = new_extraction_id()
        work = inprogress / f"extracted_at={extraction_id}"
        work.mkdir(parents=True)
        checkpoint = {
            "extraction_id": extraction_id,
            "pages": 0,
            "next_cursor": None,
            "done": False,
            "total": None,
            "records": 0,
            "generated_at": [],
            "started_at": datetime.now(UTC).isoformat(),
        }
        _write_json_atomic(work / CHECKPOINT, checkpoint)
        return work, checkpoint

    def _complete(
        self,
        dataset: str,
        period: str,
        base: Path,
        work: Path,
        checkpoint: dict[str, Any],
        resumed: bool,
        started: float,
    ) -> ExtractionResult:
        keys: set[str] = set()
        for part in sorted(work.glob("part-*.parquet")):
            column = pq.read_table(part, columns=["_record_key"]).column("_record_key")
            keys.update(k for k in column.to_pylist() if k is not None)
        total = int(checkpoint["total"] or 0)
        if len(keys) != total:
            shutil.rmtree(work)
            raise IncompleteExtractionError(
                f"{dataset} {period}: received {len(keys)} distinct keys but the portal reported total={total} "
                "(records shifted while paging?)"
            )
        extraction_id = checkpoint["extraction_id"]
        files = describe_parts(work)
        rows = sum(f["rows"] for f in files)
        manifest = {
            "dataset": dataset,
            "period": period,
            "extracted_at": extraction_id,
            "url": self.client.feed_url(dataset),
            "parameters": {"period": period, "limit": self.page_size},
            "key_fields": list(FEEDS[dataset]),
            "record_count": rows,
            "distinct_keys": len(keys),
            "total_reported": total,
            "pages": checkpoint["pages"],
            "files": files,
            "generated_at": checkpoint["generated_at"],
            "started_at": checkpoint["started_at"],
            "completed_at": datetime.now(UTC).isoformat(),
            "resumed": resumed,
            "client": f"dvc-index {__version__}",
        }
        (work / CHECKPOINT).unlink()
        final = publish_extraction(work, base, manifest)
        return ExtractionResult(
            dataset=dataset,
            period=period,
            extraction_id=extraction_id,
            path=final,
            record_count=rows,
            distinct_keys=len(keys),
            total_reported=total,
            pages=checkpoint["pages"],
            resumed=resumed,
            seconds=time.monotonic() - started,
        )


def publish_extraction(work: Path, base: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest and move a complete extraction from `_inprogress/` into place, atomically."""
    _write_json_atomic(work / MANIFEST, manifest)
    final = base / f"extracted_at={manifest['extracted_at']}"
    os.rename(work, final)  # atomic: readers see the whole extraction or none of it
    _fsync_dir(base)
    inprogress = base / INPROGRESS
    if inprogress.exists() and not any(inprogress.iterdir()):
        inprogress.rmdir()
    return final


def describe_parts(work: Path) -> list[dict[str, Any]]:
    """Name, row count and SHA-256 of each part of an extraction, for its manifest."""
    return [
        {"path": p.name, "rows": pq.read_metadata(p).num_rows, "sha256": sha256_of(p)}
        for p in sorted(work.glob("part-*.parquet"))
    ]


def write_part(work: Path, table: pa.Table, page: int) -> Path:
    part = work / f"part-{page:05d}.parquet"
    tmp = part.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, part)
    return part


def list_extractions(raw_dir: Path, dataset: str, period: str) -> list[Path]:
    """Complete extractions of a feed and period, oldest first."""
    return sorted(period_dir(raw_dir, dataset, period).glob("extracted_at=*"))
