"""A raw zone, a warehouse built from it, and a publish call with the caller's usual arguments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.publication import CheckResult, PublishedRelease, publish_release
from tests.publication.warehouse import MONTH, build_warehouse, write_raw_zone

CHECKS = (
    CheckResult("dbt_tests", True, detail="42 passed"),
    CheckResult("gx_checkpoint_marts", True),
    CheckResult("quarantine_share_below_threshold", False, blocking=False, detail="0.6% > 0.5% (warning)"),
)
QUALITY = {"index.html": "<html><body>Báo cáo chất lượng dữ liệu</body></html>".encode()}
REPORT = "<!doctype html><html lang='vi'><body><h1>Bộ chỉ số tháng 7/2025</h1></body></html>".encode()
PUBLISHED_AT = datetime(2025, 8, 5, 3, 0, tzinfo=UTC)


@dataclass
class Home:
    root: Path
    raw_dir: Path
    releases_dir: Path
    input_files: list[Path]
    warehouse: Path

    def build(self, name: str, **kwargs) -> Path:
        """Another warehouse built from the same raw zone (restated=..., extra_sql=...)."""
        return build_warehouse(self.raw_dir, self.root / name, **kwargs)

    def publish(self, warehouse: Path | None = None, **kwargs) -> PublishedRelease:
        arguments = {
            "releases_dir": self.releases_dir,
            "raw_dir": self.raw_dir,
            "input_files": self.input_files,
            "checks": CHECKS,
            "quality": QUALITY,
            "report_html": REPORT,
            "now": PUBLISHED_AT,
            **kwargs,
        }
        return publish_release(warehouse or self.warehouse, MONTH, **arguments)


@pytest.fixture(autouse=True)
def no_portal_token(monkeypatch):
    monkeypatch.delenv("PORTAL_TOKEN", raising=False)
    monkeypatch.delenv("DVC_INDEX_CRASH_AT", raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    input_files = write_raw_zone(tmp_path)
    raw_dir = tmp_path / "raw"
    warehouse = build_warehouse(raw_dir, tmp_path / "warehouse.duckdb")
    return Home(tmp_path, raw_dir, tmp_path / "releases", input_files, warehouse)


def snapshot(releases_dir: Path) -> dict[str, str]:
    """Every folder and file of the releases tree but `.staging`, files with their SHA-256."""
    tree = {}
    for path in sorted(releases_dir.rglob("*")):
        rel = path.relative_to(releases_dir).as_posix()
        if rel.split("/")[0] == ".staging":
            continue
        tree[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return tree


def staging_leftovers(releases_dir: Path) -> list[str]:
    staging = releases_dir / ".staging"
    return sorted(p.name for p in staging.iterdir() if p.name != ".lock") if staging.exists() else []
