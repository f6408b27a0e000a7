"""The release manifest: what went in (raw files, rules, code, checks) and what came out (rows, hashes).

Output hashes never depend on time: `created_at` is recorded but is not an output, and the release's identity
(`data_fingerprint`) covers only the reproducible outputs - the Parquet and CSV files and the table contents
of `published.duckdb` - not the quality report or the page, which the caller renders (and may date).
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orchestration import __version__
from orchestration.publication.errors import ReleaseInputError
from orchestration.publication.files import sha256_bytes, sha256_file
from orchestration.publication.layout import MANIFEST
from orchestration.settings import REPO_ROOT

FORMAT = "dvc-index-release/1"
PUBLISHED_DUCKDB_NOTE = (
    "DuckDB files are not byte-reproducible (two builds of identical tables differ), so published.duckdb is "
    "left out of the reproducible outputs; each of its tables is identified instead by the SHA-256 of its "
    "canonical CSV export read back from the file (rows in key order), which equals csv/<table>.csv."
)


@dataclass(frozen=True)
class CheckResult:
    """One quality check the month passed (or failed) before publication.

    A failed blocking check refuses the publication; a failed non-blocking one (a warning) is recorded.
    """

    name: str
    passed: bool
    blocking: bool = True
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def code_version(repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    """Package version and, when the code runs from a git checkout, its commit (else "unknown")."""
    try:
        version = importlib.metadata.version("dvc-index")
    except importlib.metadata.PackageNotFoundError:
        version = __version__
    commit, dirty = "unknown", None
    try:
        top, head = _git(repo_root, "rev-parse", "--show-toplevel", "HEAD").splitlines()
        if Path(top).resolve() == repo_root.resolve():  # not some enclosing repository
            commit = head
            dirty = bool(_git(repo_root, "status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return {"package": "dvc-index", "version": version, "git_commit": commit, "git_dirty": dirty}


def _git(repo_root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo_root), *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout


def describe_inputs(raw_dir: Path, files: Iterable[Path]) -> list[dict[str, Any]]:
    """Each raw input file, relative to the raw zone, with its size and SHA-256, sorted by path."""
    root = Path(raw_dir).resolve()
    described: dict[str, dict[str, Any]] = {}
    for file in files:
        path = Path(file).resolve()
        if not path.is_file():
            raise ReleaseInputError(f"input file {file} does not exist")
        if not path.is_relative_to(root):
            raise ReleaseInputError(f"input file {file} is not under the raw zone {root}")
        rel = path.relative_to(root).as_posix()
        described[rel] = {"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return [described[k] for k in sorted(described)]


def data_fingerprint(reproducible_outputs: dict[str, str]) -> str:
    """One hash for the release's data: equal fingerprints mean identical published data."""
    canonical = json.dumps(reproducible_outputs, sort_keys=True, separators=(",", ":"))
    return sha256_bytes(canonical.encode("utf-8"))


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def blocking_failures(checks: Sequence[CheckResult]) -> list[str]:
    return [c.name for c in checks if c.blocking and not c.passed]
