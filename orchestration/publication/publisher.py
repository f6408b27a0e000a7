"""Write, audit and publish a month's immutable release (write-audit-publish).

1. Write: export the month's tables from the warehouse into `.staging/<month>-<uuid>/` (Parquet, CSV,
   published.duckdb, the caller's quality report and page, the diff against the version in force, and
   manifest.json last); make the files read-only; fsync every file and folder.
2. Audit: re-read every file of the staged folder against the manifest (audit.py). A failure deletes the
   staged folder and raises: nothing outside `.staging` was touched.
3. Publish: os.rename the staged folder to `<month>/vN` (N = 1 + the highest existing), fsync; then replace
   CURRENT atomically (temporary file, fsync, os.replace, fsync).

A release whose data is identical (same `data_fingerprint`) to the version in force is not written again: the
version in force is returned.

Crash windows (fault points in brackets; every one leaves every earlier release and its bytes as they were):
- while writing or auditing the staged folder [mid_write, before_audit, after_audit]: only `.staging` holds
  the partial release; CURRENT and every vN are untouched. The next run deletes stale staging folders (under
  the publication lock, so they cannot belong to a live publisher) and writes the release again.
- after the rename, before CURRENT is replaced [after_rename, before_current, mid_current]: vN is complete and
  audited (it was renamed whole) but CURRENT still names the previous version (and a `.CURRENT.tmp` may be
  left). The next run finds that vN has a valid manifest and file hashes, treats it as published, points
  CURRENT at it, removes the temporary file, and then - the data being identical - returns vN unchanged.
- after CURRENT is replaced [after_current]: the publication is complete; the next run returns it unchanged.
A power loss (not only a killed process) could also undo a rename not yet fsynced: the next run then sees the
previous state of one of these windows and completes it the same way.

CURRENT only ever moves forward: recovery points it at the highest version above it that passes the hash
audit, and never at a lower one. A version folder that fails that audit (damaged by hand) is left in place,
reported, and never reused: the next version number is above it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import duckdb
import pyarrow.compute as pc

from orchestration.publication.audit import audit_release
from orchestration.publication.diff import DIFF_CSV, DIFF_JSON, diff_releases, write_diff
from orchestration.publication.errors import (
    ReleaseAuditError,
    ReleaseInputError,
    ReleaseRefusedError,
    ReleaseStateError,
)
from orchestration.publication.export import (
    PUBLISHED_DUCKDB,
    PUBLISHED_SCHEMA,
    duckdb_content_key,
    export_tables,
    read_release_tables,
    reproducible_hashes,
)
from orchestration.publication.faults import fault_point
from orchestration.publication.files import fsync_dir, fsync_tree, list_files, make_read_only, sha256_file
from orchestration.publication.layout import (
    CURRENT,
    LOCK,
    MANIFEST,
    current_version,
    existing_versions,
    month_dir,
    month_start,
    release_dir,
    staging_root,
    version_name,
    write_current,
)
from orchestration.publication.manifest import (
    FORMAT,
    PUBLISHED_DUCKDB_NOTE,
    CheckResult,
    blocking_failures,
    code_version,
    data_fingerprint,
    describe_inputs,
    manifest_bytes,
    read_manifest,
)
from orchestration.publication.report import load_ranked_source
from orchestration.publication.spec import (
    PERIOD_TYPE,
    RELEASE_TABLES,
    RULE_VERSION_COLUMN,
    RULE_VERSION_TABLE,
    TableSpec,
)
from orchestration.settings import duckdb_config, load_settings

log = logging.getLogger(__name__)

QUALITY_DIR = "quality"
REPORT_HTML = "report.html"

Warehouse = duckdb.DuckDBPyConnection | str | Path


@dataclass(frozen=True)
class PublishedRelease:
    """The release in force for the month after a publish call.

    status: "published" when this call wrote `version`; "unchanged" when the data equals the version already in
    force (nothing new was written). `recovered` lists what the call repaired after an earlier crash.
    """

    month: str
    version: int
    path: Path
    status: Literal["published", "unchanged"]
    previous_version: int | None
    diff_path: Path | None
    recovered: tuple[str, ...]

    @property
    def manifest(self) -> dict[str, Any]:
        return read_manifest(self.path)


@contextmanager
def publication_lock(releases_dir: Path) -> Iterator[None]:
    """One publisher at a time per releases folder (released by the kernel if the process dies)."""
    root = staging_root(releases_dir)
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK).open("a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _recover_locked(releases_dir: Path, month: str) -> list[str]:
    notes = []
    root = staging_root(releases_dir)
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if entry.name == LOCK:
            continue
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        notes.append(f"removed the stale staging folder {entry.name}")
    folder = month_dir(releases_dir, month)
    tmp = folder / f".{CURRENT}.tmp"
    if tmp.exists():
        tmp.unlink()
        notes.append(f"removed an unfinished {CURRENT} update")
    current = current_version(releases_dir, month)
    if current is not None and not release_dir(releases_dir, month, current).is_dir():
        raise ReleaseStateError(f"{folder / CURRENT} names {version_name(current)}, which does not exist")
    for version in reversed(existing_versions(releases_dir, month)):
        if current is not None and version <= current:
            break
        problems = audit_release(release_dir(releases_dir, month, version), deep=False)
        if problems:
            notes.append(f"{version_name(version)} fails its hash audit and is left as it is: {problems[0]}")
            continue
        write_current(releases_dir, month, version)
        notes.append(f"{CURRENT} completed to {version_name(version)} (published before a crash)")
        break
    for note in notes:
        log.warning("%s %s", month, note)
    return notes


def recover(releases_dir: Path, month: str) -> list[str]:
    """Finish or clean up what a crashed publication left for `month`; returns what was done (may be empty)."""
    month_start(month)
    with publication_lock(releases_dir):
        return _recover_locked(Path(releases_dir), month)


@contextmanager
def _open_warehouse(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        yield warehouse  # the caller's connection: the caller closes it
        return
    path = Path(warehouse)
    if not path.is_file():
        raise ReleaseInputError(f"warehouse {path} does not exist")
    con = duckdb.connect(str(path), read_only=True, config=duckdb_config())
    try:
        yield con
    finally:
        con.close()


def _safe_relative(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ReleaseInputError(f"quality file name {name!r} must be a relative path inside the release")
    return rel


def _copy_attachments(
    staging: Path, quality: Path | Mapping[str, bytes] | None, report_html: Path | bytes | None
) -> dict[str, Any]:
    """Copy the caller's quality report (a folder, a file or {name: bytes}) and report page into the release."""
    target = staging / QUALITY_DIR
    if isinstance(quality, Mapping):
        for name, data in quality.items():
            path = target / _safe_relative(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    elif quality is not None:
        source = Path(quality)
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.is_file():
            target.mkdir()
            shutil.copyfile(source, target / source.name)
        else:
            raise ReleaseInputError(f"quality report {source} does not exist")
    if isinstance(report_html, bytes):
        (staging / REPORT_HTML).write_bytes(report_html)
    elif report_html is not None:
        if not Path(report_html).is_file():
            raise ReleaseInputError(f"report page {report_html} does not exist")
        shutil.copyfile(report_html, staging / REPORT_HTML)
    quality_files = [rel for rel in list_files(staging) if rel.startswith(QUALITY_DIR + "/")]
    return {
        "quality": quality_files,
        "report_html": REPORT_HTML if (staging / REPORT_HTML).exists() else None,
    }


def _rule_versions(tables: dict[str, Any]) -> list[str]:
    table = tables.get(RULE_VERSION_TABLE)
    if table is None or RULE_VERSION_COLUMN not in table.column_names:
        return []
    return sorted(v for v in pc.unique(table.column(RULE_VERSION_COLUMN)).to_pylist() if v is not None)


@dataclass(frozen=True)
class _Request:
    """What one publish call was asked to publish."""

    warehouse: Warehouse
    month: str
    period_start: date
    inputs: list[dict[str, Any]]
    checks: tuple[CheckResult, ...]
    quality: Path | Mapping[str, bytes] | None
    report_html: Path | bytes | None
    tables: tuple[TableSpec, ...]
    secrets: tuple[str, ...]
    created_at: str


def publish_release(
    warehouse: Warehouse,
    month: str,
    *,
    releases_dir: Path,
    raw_dir: Path,
    input_files: Sequence[Path],
    checks: Sequence[CheckResult] = (),
    quality: Path | Mapping[str, bytes] | None = None,
    report_html: Path | bytes | None = None,
    tables: tuple[TableSpec, ...] = RELEASE_TABLES,
    secrets: Sequence[str] | None = None,
    now: datetime | None = None,
) -> PublishedRelease:
    """Publish `month` from `warehouse` (a DuckDB path, opened read-only, or an open connection).

    `input_files` are the raw landing files (parts and manifests, under `raw_dir`) the warehouse was built
    from; `checks` the quality checks run on it; `quality` and `report_html` the reviewer's report, copied in.
    `secrets` are values that must appear in no release file (default: PORTAL_TOKEN, when set).
    Raises ReleaseRefusedError (a blocking check failed), ReleaseInputError, ReleaseAuditError; in every case
    earlier releases and CURRENT are left byte-identical.
    """
    period_start = month_start(month)
    failed = blocking_failures(checks)
    if failed:
        raise ReleaseRefusedError(failed)
    if not input_files:
        raise ReleaseInputError("a release needs the raw input files it was built from")
    if secrets is None:
        token = load_settings().portal_token
        secrets = [token] if token else []
    request = _Request(
        warehouse=warehouse,
        month=month,
        period_start=period_start,
        inputs=describe_inputs(raw_dir, input_files),
        checks=tuple(checks),
        quality=quality,
        report_html=report_html,
        tables=tables,
        secrets=tuple(secrets),
        created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
    )
    releases_dir = Path(releases_dir)
    with publication_lock(releases_dir):
        recovered = tuple(_recover_locked(releases_dir, month))
        staging = staging_root(releases_dir) / f"{month}-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            return _write_audit_publish(request, releases_dir, staging, recovered)
        finally:
            if staging.exists():  # audit failed, or an error before the rename: nothing was published
                shutil.rmtree(staging, ignore_errors=True)


def _write_audit_publish(
    request: _Request, releases_dir: Path, staging: Path, recovered: tuple[str, ...]
) -> PublishedRelease:
    month, period_start, tables = request.month, request.period_start, request.tables
    with _open_warehouse(request.warehouse) as con:
        data = read_release_tables(con, tables, period_start)
        source = load_ranked_source(con, period_start)
    exported = export_tables(data, tables, staging)
    reproducible = reproducible_hashes(staging, exported)
    fingerprint = data_fingerprint(reproducible)

    in_force = current_version(releases_dir, month)
    previous_dir = release_dir(releases_dir, month, in_force) if in_force else None
    in_force_manifest = read_manifest(previous_dir) if previous_dir else {}
    if previous_dir and in_force_manifest.get("data_fingerprint") == fingerprint:
        diff_path = previous_dir / DIFF_JSON if in_force_manifest.get("diff") else None
        earlier = in_force_manifest.get("previous_version")
        return PublishedRelease(month, in_force, previous_dir, "unchanged", earlier, diff_path, recovered)

    version = max(existing_versions(releases_dir, month), default=0) + 1
    attachments = _copy_attachments(staging, request.quality, request.report_html)
    diff_entry = None
    if previous_dir:
        diff = diff_releases(month, previous_dir, in_force, staging, version, [s.name for s in tables])
        write_diff(diff, staging)
        diff_entry = {"against_version": in_force, "json": DIFF_JSON, "csv": DIFF_CSV}

    content_hashes = {t.spec.name: reproducible[duckdb_content_key(t.spec.name)] for t in exported}
    manifest = {
        "format": FORMAT,
        "month": month,
        "version": version,
        "period": {"period_type": PERIOD_TYPE, "period_start": period_start.isoformat()},
        # what the ranking was computed from: records (the feeds), or evaluation (the portal's published one alone)
        "source": source,
        "created_at": request.created_at,
        "previous_version": in_force,
        "code_version": code_version(),
        "rule_versions": _rule_versions(data),
        "inputs": {"root": "raw", "files": request.inputs},
        "checks": [c.to_json() for c in request.checks],
        "tables": [
            {
                **t.spec.to_json(),
                "rows": t.rows,
                "columns": [list(c) for c in t.columns],
                "parquet": t.parquet,
                "csv": t.csv,
            }
            for t in exported
        ],
        "published_duckdb": {
            "path": PUBLISHED_DUCKDB,
            "schema": PUBLISHED_SCHEMA,
            "content_sha256": content_hashes,
            "note": PUBLISHED_DUCKDB_NOTE,
        },
        "attachments": attachments,
        "diff": diff_entry,
        "outputs": {
            rel: {"bytes": (staging / rel).stat().st_size, "sha256": sha256_file(staging / rel)}
            for rel in list_files(staging)
        },
        "reproducible_outputs": reproducible,
        "data_fingerprint": fingerprint,
    }
    (staging / MANIFEST).write_bytes(manifest_bytes(manifest))
    make_read_only(staging)
    fsync_tree(staging)
    fsync_dir(staging.parent)

    fault_point("before_audit", staging)
    problems = audit_release(staging, secrets=request.secrets)
    if problems:
        raise ReleaseAuditError(problems)
    fault_point("after_audit", staging)

    folder = month_dir(releases_dir, month)
    folder.mkdir(exist_ok=True)
    fsync_dir(releases_dir)
    final = release_dir(releases_dir, month, version)
    os.rename(staging, final)  # atomic: vN appears whole or not at all
    fault_point("after_rename", final)
    fsync_dir(folder)
    fsync_dir(staging_root(releases_dir))
    fault_point("before_current", final)
    write_current(releases_dir, month, version)
    fault_point("after_current", final)
    log.info("published %s %s", month, version_name(version))
    return PublishedRelease(
        month, version, final, "published", in_force, final / DIFF_JSON if diff_entry else None, recovered
    )
