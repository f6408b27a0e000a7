"""The immutable raw landing zone (docs/raw_landing.md): extract one feed for one period into Parquet parts.

An extraction is written under `_inprogress/` page by page, with a checkpoint after each page, so a crash in the
middle of paging resumes where it stopped. Only a complete extraction whose distinct keys match the portal's
`total` is renamed into `extracted_at=<id>/` beside its `manifest.json`; an earlier extraction is never touched.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import math
import multiprocessing
import os
import secrets
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration import __version__
from orchestration.gc_pause import gc_paused
from orchestration.portal.client import (
    FEED_PATH,
    FeedPage,
    FeedPageBody,
    PortalClient,
    PortalError,
    page_records,
)
from orchestration.settings import MONTH_PATTERN, landing_workers

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
COLLECT_EVERY_PAGES = 16
# A feed of more pages than this is landed in worker processes (when FeedExtractor.workers > 1): below it, starting
# them costs more than they save.
PARALLEL_FROM_PAGES = 4
DICTIONARY_COLUMNS = ("_dataset", "_period", "_extracted_at")
STATISTICS_COLUMNS = ("_dataset", "_period", "_extracted_at", "_page", "_row")

ProgressCallback = Callable[[str, str, int, int], None]


class LandingWorkersError(RuntimeError):
    """A landing worker process died; what landed before it is kept for a resume."""


class IncompleteExtractionError(PortalError):
    """The pages did not add up to the portal's `total` of distinct keys."""


def dataset_dir_name(dataset: str) -> str:
    return dataset.replace("-", "_")


def period_dir(raw_dir: Path, dataset: str, period: str) -> Path:
    """A feed month's folder in the raw zone. The dataset must be a known feed and the period YYYY-MM: both become
    a path, and a value from elsewhere (a partition key, a command line, a portal's answer) must not leave it."""
    if dataset not in FEEDS and dataset != EVALUATION:
        raise ValueError(f"unknown dataset {dataset!r}: one of {', '.join([*FEEDS, EVALUATION])}")
    if not isinstance(period, str) or not MONTH_PATTERN.fullmatch(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
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


def _has_non_finite(value: Any) -> bool:
    if type(value) is float:
        return not math.isfinite(value)
    if type(value) is list:
        return any(_has_non_finite(v) for v in value)
    if type(value) is dict:
        return any(_has_non_finite(v) for v in value.values())
    return False


# orjson writes lists and objects exactly as `as_text` (json.dumps: same escapes, UTF-8, key order) except floats
# below 1e-4 in magnitude (`1e-05` is `0.00001`, `1e-07` is `1e-7`) and non-finite floats (`NaN` is `null`); a
# value whose orjson text holds none of these patterns is landed as orjson wrote it.
_SUSPECT_PATTERNS = (b"e-", b"0.0000", b"null")


def _orjson_differs(value: Any, text: bytes) -> bool:
    """Whether orjson's `text` of a list or object differs from `as_text(value)`, or might.

    Tested on the text, so a string that merely looks like a float sends the value down the slow path, never the
    reverse; `null` is checked on the value, as it is common in records and NaN never is.
    """
    return b"e-" in text or b"0.0000" in text or (b"null" in text and _has_non_finite(value))


def _text_of(value: Any) -> str | bytes | None:
    """`as_text(value)`, as UTF-8 bytes where orjson wrote it."""
    kind = type(value)
    if value is None or kind is str:
        return value
    if kind is int:
        return str(value)  # what json.dumps writes for an int
    if kind is list or kind is dict:
        try:
            text = orjson.dumps(value)
        except TypeError:  # orjson refuses integers beyond 64 bits
            return as_text(value)
        return as_text(value) if _orjson_differs(value, text) else text
    return as_text(value)


def _nested_column(values: Sequence[Any]) -> pa.Array | None:
    """Landed text of a field whose values are all lists or objects, built in bulk; None where orjson won't do."""
    texts = _orjson_texts(values)
    if texts is None:
        return None
    joined = b"".join(texts)
    if len(joined) >= 1 << 31:
        return None
    offsets = np.zeros(len(texts) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int32, count=len(texts)), out=offsets[1:])
    suspects: set[int] = set()
    for pattern in _SUSPECT_PATTERNS:  # few occurrences in practice: find them in the page's text, not per value
        at = joined.find(pattern)
        while at != -1:
            suspects.add(at)
            at = joined.find(pattern, at + 1)
    if suspects:
        rows = np.unique(np.searchsorted(offsets, sorted(suspects), side="right") - 1)
        if any(_orjson_differs(values[row], texts[row]) for row in rows.tolist()):
            return None
    return pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets), pa.py_buffer(joined))


def _orjson_texts(values: Sequence[Any]) -> list[bytes] | None:
    """orjson's text of each value, from one call for the whole column (a call per value costs twice as much).

    The values are encoded as one list with a separator string between them, a string no value's text can hold
    unnoticed: it is random, and the split must give exactly one text per value.
    """
    n = len(values)
    if n == 0:
        return []
    separator = "\x00" + secrets.token_hex(8)
    interleaved: list[Any] = [separator] * (2 * n - 1)
    interleaved[::2] = values
    try:
        text = orjson.dumps(interleaved)
    except TypeError:  # orjson refuses integers beyond 64 bits
        return None
    texts = text[1:-1].split(b',"\\u0000' + separator[1:].encode() + b'",')
    if len(texts) == n:
        return texts
    try:
        return list(map(orjson.dumps, values))
    except TypeError:
        return None


def _text_column(values: Sequence[Any]) -> tuple[pa.Array, bool]:
    """A field's values as landed text (`as_text` of each), and whether they were all strings or null.

    The text is built for the whole column at once where the values allow: strings as they are, integers by an
    Arrow cast, lists and objects by orjson (several times faster than `json`, and checked to give the same text).
    """
    try:
        return pa.array(values, type=pa.string()), True
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    kinds = set(map(type, values))
    column = None
    if kinds <= {list, dict}:
        column = _nested_column(values)
    elif kinds <= {int, type(None)}:
        with contextlib.suppress(pa.ArrowInvalid, OverflowError):
            column = pa.array(values, type=pa.int64()).cast(pa.string())
    if column is None:
        column = pa.array([_text_of(v) for v in values], type=pa.string())
    return column, False


def _fields(records: list[dict[str, Any]]) -> tuple[list[str], list[Sequence[Any]]]:
    """The union of the records' fields in first-seen order, and each field's values (None where missing)."""
    shapes = set(map(tuple, records))
    if len(shapes) == 1:  # every record has the same fields in the same order: transpose in one go
        names = list(next(iter(shapes)))
        return names, list(zip(*(rec.values() for rec in records), strict=True)) if names else []
    fields: dict[str, None] = {}
    for rec in records:
        for name in rec:
            fields.setdefault(name, None)
    return list(fields), [[rec.get(name) for rec in records] for name in fields]


def _record_keys(
    records: list[dict[str, Any]], key_fields: tuple[str, ...], columns: dict[str, pa.Array], unchanged: set[str]
) -> pa.Array:
    """`record_key` of every record; computed on the landed columns when the key fields are all strings."""
    if records and all(f in unchanged for f in key_fields):
        parts = [columns[f] for f in key_fields]
        keys = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "|")  # null where a part is
        blank = pc.equal(parts[0], "")
        for part in parts[1:]:
            blank = pc.or_kleene(blank, pc.equal(part, ""))
        return pc.if_else(pc.fill_null(blank, False), pa.scalar(None, pa.string()), keys)
    return pa.array([record_key(rec, key_fields) for rec in records], type=pa.string())


def records_to_table(
    records: list[dict[str, Any]], *, dataset: str, period: str, extraction_id: str, page: int
) -> pa.Table:
    """Records of one page as an Arrow table of string columns plus the metadata columns.

    Each field's text is `as_text` of its value (the definition); this builds whole columns at once because a
    page holds thousands of records.
    """
    key_fields = KEY_FIELDS[dataset]
    names, values = _fields(records)
    columns: dict[str, pa.Array] = {}
    unchanged: set[str] = set()
    for name, column in zip(names, values, strict=True):
        columns[name], as_is = _text_column(column)
        if as_is:
            unchanged.add(name)
    n = len(records)
    record_keys = _record_keys(records, key_fields, columns, unchanged)
    columns["_dataset"] = pa.array([dataset] * n, type=pa.string())
    columns["_period"] = pa.array([period] * n, type=pa.string())
    columns["_extracted_at"] = pa.array([extraction_id] * n, type=pa.string())
    columns["_page"] = pa.array([page] * n, type=pa.int32())
    columns["_row"] = pa.array(range(n), type=pa.int32())
    columns["_record_key"] = record_keys
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
    # landing worker processes for large feeds (DVC_INDEX_LANDING_WORKERS); 1 lands every page in this process
    workers: int = field(default_factory=landing_workers)

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
        # Stages overlap: a fetcher thread requests page k+1 while page k is turned into a table and written as its
        # part. Where the client hands pages over undecoded and the feed is large enough, that happens in landing
        # worker processes (several pages at once, each on a core of its own); otherwise in this thread, with the
        # Parquet encoding on a writer thread (it runs without the GIL). Requests stay in page order, and the
        # checkpoint advances only over parts that are on disk with every part before them, so a crash resumes
        # as if the pages had been landed one after the other. The cyclic collector is paused meanwhile
        # (gc_pause.py): decoded pages hold no cycles and it would otherwise triple the decoding cost.
        bodies = self.workers > 1 and hasattr(self.client, "get_feed_page_body")
        with (
            gc_paused(),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-fetch") as fetcher,
            _PageLander(work, dataset, period, extraction_id, self.workers) as lander,
        ):
            def fetch(cursor: str | None) -> Future[FeedPage | FeedPageBody]:
                get = self.client.get_feed_page_body if bodies else self.client.get_feed_page
                return fetcher.submit(get, dataset, period, cursor, self.page_size)

            fetching = None if checkpoint["done"] else fetch(checkpoint["next_cursor"])
            landing: deque[tuple[int, str | None, int, str | None, Future[int]]] = deque()
            page_no = checkpoint["pages"]
            cursor = checkpoint["next_cursor"]
            try:
                while fetching is not None or landing:
                    if fetching is not None:
                        try:
                            page = fetching.result()
                        except PortalError as exc:  # say which page: the error names the endpoint only
                            exc.locate(f"{dataset} {period}, page {page_no + 1}"
                                       + (f", cursor {cursor[:40]}" if cursor else ", the first page"))
                            raise
                        cursor = page.next_cursor
                        fetching = fetch(page.next_cursor) if page.next_cursor is not None else None
                        many = page.total > self.page_size * PARALLEL_FROM_PAGES
                        landing.append((page_no, page.next_cursor, page.total, page.generated_at,
                                        lander.submit(page, page_no, in_workers=many)))
                        page_no += 1
                        del page  # its records live on in the lander
                    # commit the oldest page once it is on disk, keeping at most one page per worker in flight
                    if fetching is None or len(landing) > lander.depth:
                        self._commit(work, checkpoint, *landing[0], dataset, period)
                        landing.popleft()  # only once committed: a page that failed stays at the head
            except BaseException:
                # a fetch or a page failed: keep the pages in flight before it (at most one per worker; waited
                # for), in order, up to the first that did not land
                while landing and landing[0][-1].exception() is None:
                    self._commit(work, checkpoint, *landing[0], dataset, period)
                    landing.popleft()
                raise
        return self._complete(dataset, period, base, work, checkpoint, resumed, started)

    def _commit(
        self, work: Path, checkpoint: dict[str, Any], page_no: int, next_cursor: str | None, total: int,
        generated_at: str | None, rows: Future[int], dataset: str, period: str,
    ) -> None:
        """Advance the checkpoint over page `page_no`, once its part is on disk (re-raising what landing it raised)."""
        try:
            landed = rows.result()
        except BrokenProcessPool as exc:
            raise LandingWorkersError(
                f"{dataset} {period}: a landing worker process ended abruptly at page {page_no} (killed, out of "
                "memory, or started from a script without the `if __name__ == \"__main__\":` guard that worker "
                "processes need). The pages before it are kept: run again to resume, or set "
                "DVC_INDEX_LANDING_WORKERS=1 to land in the extracting process."
            ) from exc
        checkpoint.update(
            pages=page_no + 1,
            next_cursor=next_cursor,
            done=next_cursor is None,
            total=total,
            records=checkpoint["records"] + landed,
        )
        if generated_at and generated_at not in checkpoint["generated_at"]:
            checkpoint["generated_at"].append(generated_at)
        _write_json_atomic(work / CHECKPOINT, checkpoint)
        if page_no % COLLECT_EVERY_PAGES == COLLECT_EVERY_PAGES - 1:
            gc.collect(1)  # what cycles the HTTP stack leaves behind, while the full collector is paused
        if self.progress:
            self.progress(dataset, period, checkpoint["records"], checkpoint["total"])

    def _open_work_dir(self, base: Path) -> tuple[Path, dict[str, Any]]:
        inprogress = base / INPROGRESS
        if inprogress.exists():
            for candidate in sorted(inprogress.glob("extracted_at=*")):
                cp_path = candidate / CHECKPOINT
                if cp_path.exists():
                    checkpoint = json.loads(cp_path.read_text(encoding="utf-8"))
                    log.info("resuming extraction %s after page %d", candidate.name, checkpoint["pages"])
                    _drop_parts_from(candidate, checkpoint["pages"])
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
                f"(GET {FEED_PATH.format(dataset=dataset)}: records shifted while paging, or a wrong total)"
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


def _drop_parts_from(work: Path, first_page: int) -> None:
    """Delete parts (and half-written parts) of pages from `first_page` on: landed ahead of the checkpoint by a
    crashed run, they are fetched and landed again on resume."""
    for part in [*work.glob("part-*.parquet"), *work.glob("part-*.parquet.tmp")]:
        if int(part.name.split(".", 1)[0].removeprefix("part-")) >= first_page:
            part.unlink()


def land_page_body(
    work: Path, body: bytes, *, dataset: str, period: str, extraction_id: str, page: int, source: str
) -> int:
    """Decode a feed page's body, turn its records into the landed table and write its part; the rows landed.
    What a landing worker process runs for each page."""
    with gc_paused():
        records = page_records(body, source)
        del body
        table = records_to_table(records, dataset=dataset, period=period, extraction_id=extraction_id, page=page)
        del records
        write_part(work, table, page)
        return table.num_rows


def _write_table(work: Path, table: pa.Table, page: int) -> int:
    write_part(work, table, page)
    return table.num_rows


def _exit_with_parent(parent: int) -> None:
    """In a landing worker: end when the extracting process has ended (killed, it cannot shut its pool down), so
    no worker outlives the extraction to write into a folder a resumed extraction has taken over. On Linux the
    kernel kills the worker with its parent (PR_SET_PDEATHSIG); elsewhere a thread watches the parent."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes
        import ctypes.util
        import signal

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="landing-parent-watch", daemon=True).start()


class _PageLander:
    """Lands pages as parts, in landing worker processes (`submit(..., in_workers=True)` with page bodies) or
    here: the table is built in the calling thread and written by a writer thread. Pages may land out of order;
    the caller advances the checkpoint in order."""

    def __init__(self, work: Path, dataset: str, period: str, extraction_id: str, workers: int) -> None:
        self.work, self.dataset, self.period, self.extraction_id = work, dataset, period, extraction_id
        self.workers = max(1, workers)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-write")
        self._processes: ProcessPoolExecutor | None = None
        self.depth = 1  # pages in flight before the oldest is committed

    def submit(self, page: FeedPage | FeedPageBody, page_no: int, *, in_workers: bool) -> Future[int]:
        if isinstance(page, FeedPageBody):
            if in_workers and self.workers > 1:
                return self._pool().submit(
                    land_page_body, self.work, page.body, dataset=self.dataset, period=self.period,
                    extraction_id=self.extraction_id, page=page_no, source=f"{page.dataset} {page.period}",
                )
            records = page_records(page.body, f"{page.dataset} {page.period}")
        else:
            records = page.records
        table = records_to_table(
            records, dataset=self.dataset, period=self.period, extraction_id=self.extraction_id, page=page_no
        )
        return self._writer.submit(_write_table, self.work, table, page_no)

    def _pool(self) -> ProcessPoolExecutor:
        if self._processes is None:
            # spawn, not fork: the caller has threads (the fetcher, Dagster's), which a fork would copy mid-step
            self._processes = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent, initargs=(os.getpid(),),
            )
            self.depth = self.workers
        return self._processes

    def __enter__(self) -> _PageLander:
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.shutdown(wait=True, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)


def write_part(work: Path, table: pa.Table, page: int) -> Path:
    part = work / f"part-{page:05d}.parquet"
    tmp = part.with_suffix(".parquet.tmp")
    # Dictionary encoding and min/max statistics only where they pay: the extraction's constant metadata columns.
    # On the portal's fields, mostly distinct per record, they cost ~40% of the write and buy nothing (zstd
    # compresses repeats anyway; staging reads whole extractions, never skips row groups).
    present = set(table.column_names)
    pq.write_table(
        table,
        tmp,
        compression="zstd",
        use_dictionary=[c for c in DICTIONARY_COLUMNS if c in present],
        write_statistics=[c for c in STATISTICS_COLUMNS if c in present],
    )
    os.replace(tmp, part)
    return part


def list_extractions(raw_dir: Path, dataset: str, period: str) -> list[Path]:
    """Complete extractions of a feed and period, oldest first."""
    return sorted(period_dir(raw_dir, dataset, period).glob("extracted_at=*"))
