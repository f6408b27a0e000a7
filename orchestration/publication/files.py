"""Durable file operations: hashing, fsync of files and folders, atomic small-file replacement."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable, not only the files' contents."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and folder under `root` (deepest first, so each folder is synced after its entries)."""
    for folder, _dirs, names in os.walk(root, topdown=False):
        for name in names:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def make_read_only(root: Path) -> None:
    """Drop write permission on every file of a release: written once, never changed."""
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(0o444)


def list_files(root: Path) -> list[str]:
    """Every file under `root` as a sorted POSIX path relative to it."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
