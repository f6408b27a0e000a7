"""Reproduce a published release from the raw files its manifest names, and compare the outputs' hashes.

The caller's `rebuild_fn(raw_dir, warehouse_path)` builds a warehouse at `warehouse_path` (a new file) from
the raw landing zone `raw_dir`. Here `raw_dir` is a temporary tree holding exactly the manifest's input
files at their recorded paths (hard links, or copies across file systems), so nothing else can leak in.
The month is then exported with the manifest's own table spec and the reproducible outputs' hashes compared.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.publication.errors import ReleaseStateError
from orchestration.publication.export import export_tables, read_release_tables, reproducible_hashes
from orchestration.publication.files import sha256_file
from orchestration.publication.layout import month_start, release_dir
from orchestration.publication.manifest import read_manifest
from orchestration.publication.spec import TableSpec
from orchestration.settings import duckdb_config

RebuildFn = Callable[[Path, Path], None]


@dataclass(frozen=True)
class OutputMismatch:
    """A reproducible output whose hash differs (actual None: the rebuild did not produce it)."""

    output: str
    expected_sha256: str
    actual_sha256: str | None


@dataclass(frozen=True)
class ReproductionResult:
    """What reproducing a release found. `ok` only when every input was intact and every output matched."""

    month: str
    version: int
    missing_inputs: tuple[str, ...]
    changed_inputs: tuple[str, ...]
    rebuilt: bool
    mismatches: tuple[OutputMismatch, ...]
    outputs_compared: int

    @property
    def ok(self) -> bool:
        return self.rebuilt and not (self.missing_inputs or self.changed_inputs or self.mismatches)


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def reproduce(
    month: str,
    version: int,
    rebuild_fn: RebuildFn,
    *,
    releases_dir: Path,
    raw_dir: Path,
    work_dir: Path | None = None,
) -> ReproductionResult:
    """Rebuild release `version` of `month` from its raw inputs and compare hashes (see the module docstring).

    When an input file is missing or changed the rebuild is not attempted (`rebuilt` False). `work_dir` is
    where the temporary raw tree and warehouse go (default: the system's temporary folder).
    """
    folder = release_dir(releases_dir, month, version)
    try:
        manifest = read_manifest(folder)
    except FileNotFoundError as exc:
        raise ReleaseStateError(f"{folder} has no manifest") from exc
    raw_root = Path(raw_dir)
    missing, changed = [], []
    for entry in manifest["inputs"]["files"]:
        path = raw_root / entry["path"]
        if not path.is_file():
            missing.append(entry["path"])
        elif sha256_file(path) != entry["sha256"]:
            changed.append(entry["path"])
    expected: dict[str, str] = manifest["reproducible_outputs"]
    if missing or changed:
        return ReproductionResult(month, version, tuple(missing), tuple(changed), False, (), 0)

    specs = tuple(TableSpec.from_json(t) for t in manifest["tables"])
    with tempfile.TemporaryDirectory(prefix=f"reproduce-{month}-v{version}-", dir=work_dir) as tmp:
        work = Path(tmp)
        for entry in manifest["inputs"]["files"]:
            _link_or_copy(raw_root / entry["path"], work / "raw" / entry["path"])
        warehouse = work / "warehouse.duckdb"
        rebuild_fn(work / "raw", warehouse)
        con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
        try:
            data = read_release_tables(con, specs, month_start(month))
        finally:
            con.close()
        exported = export_tables(data, specs, work / "release")
        actual = reproducible_hashes(work / "release", exported)
    mismatches = [
        OutputMismatch(key, digest, actual.get(key))
        for key, digest in sorted(expected.items())
        if actual.get(key) != digest
    ]
    mismatches += [
        OutputMismatch(key, "", digest) for key, digest in sorted(actual.items()) if key not in expected
    ]
    return ReproductionResult(month, version, (), (), True, tuple(mismatches), len(expected))
