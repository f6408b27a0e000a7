"""Where releases live and how the version in force is recorded.

<releases_dir>/YYYY-MM/vN/         one release, written once (renamed into place whole)
<releases_dir>/YYYY-MM/CURRENT     "vN\\n": the version in force, replaced atomically
<releases_dir>/.staging/           releases being written and audited; never read by users
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

from orchestration.publication.errors import ReleaseInputError, ReleaseStateError
from orchestration.publication.faults import fault_point
from orchestration.publication.files import fsync_dir

STAGING = ".staging"
LOCK = ".lock"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_VERSION = re.compile(r"^v([1-9]\d*)$")


def month_start(month: str) -> date:
    """First day of a `YYYY-MM` month; anything else is an input error."""
    match = _MONTH.match(month)
    if not match:
        raise ReleaseInputError(f"month must be YYYY-MM, got {month!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_dir(releases_dir: Path, month: str) -> Path:
    month_start(month)
    return Path(releases_dir) / month


def version_name(version: int) -> str:
    return f"v{version}"


def release_dir(releases_dir: Path, month: str, version: int) -> Path:
    """The folder of release `version` of `month` (it may not exist)."""
    return month_dir(releases_dir, month) / version_name(version)


def staging_root(releases_dir: Path) -> Path:
    return Path(releases_dir) / STAGING


def existing_versions(releases_dir: Path, month: str) -> list[int]:
    """Version numbers that have a folder, ascending (whether or not CURRENT names them)."""
    folder = month_dir(releases_dir, month)
    if not folder.is_dir():
        return []
    found = (_VERSION.match(p.name) for p in folder.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def current_version(releases_dir: Path, month: str) -> int | None:
    """The version CURRENT names, or None when the month has never been published."""
    path = month_dir(releases_dir, month) / CURRENT
    if not path.exists():
        return None
    text = path.read_text(encoding="ascii").strip()
    match = _VERSION.match(text)
    if not match:
        raise ReleaseStateError(f"{path} does not name a version (expected 'vN')")
    return int(match.group(1))


def write_current(releases_dir: Path, month: str, version: int) -> None:
    """Point CURRENT at `version`: temporary file, fsync, os.replace, fsync of the folder.

    A reader, or a crash, sees the old CURRENT or the new one, never a partial file.
    """
    folder = month_dir(releases_dir, month)
    path = folder / CURRENT
    tmp = folder / f".{CURRENT}.tmp"
    with tmp.open("wb") as fh:
        fh.write(f"{version_name(version)}\n".encode("ascii"))
        fh.flush()
        os.fsync(fh.fileno())
    fault_point("mid_current", tmp)
    os.replace(tmp, path)
    fsync_dir(folder)


def latest_release_source(releases_dir: Path, month: str) -> str | None:
    """What the month's release in force was computed from ('records' or 'evaluation'), None when unpublished.
    A release made before the manifest said so was computed from records."""
    version = current_version(releases_dir, month)
    if version is None:
        return None
    manifest = release_dir(releases_dir, month, version) / MANIFEST
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("source", "records")
    except (OSError, ValueError):
        return None
