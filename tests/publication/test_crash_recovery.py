"""A publication killed at any point leaves the old release or the new one, never a mix; a rerun completes it.

Each case publishes v1, then restates the month in a child process that dies (os._exit) at a named point,
checks what is on disk, and reruns the publication in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.publication import audit_release, recover
from orchestration.publication.faults import CRASH_ENV, CRASH_EXIT_CODE, POINTS
from orchestration.settings import REPO_ROOT
from tests.publication.conftest import snapshot, staging_leftovers
from tests.publication.warehouse import MONTH

BEFORE_RENAME = {"mid_write", "before_audit", "after_audit"}
BEFORE_CURRENT = {"after_rename", "before_current", "mid_current"}


def publish_in_child(home, warehouse: Path, crash_at: str) -> subprocess.CompletedProcess:
    args = {
        "warehouse": str(warehouse),
        "month": MONTH,
        "releases_dir": str(home.releases_dir),
        "raw_dir": str(home.raw_dir),
        "input_files": [str(p) for p in home.input_files],
    }
    env = {**os.environ, CRASH_ENV: crash_at}
    return subprocess.run(
        [sys.executable, "-m", "tests.publication.publish_child", json.dumps(args)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_leaves_the_old_or_the_new_release_and_a_rerun_completes_it(home, point):
    home.publish()
    v1_tree = snapshot(home.releases_dir)
    restated = home.build("restated.duckdb", restated=True)

    child = publish_in_child(home, restated, point)
    assert child.returncode == CRASH_EXIT_CODE, child.stderr  # it did die at that point
    after_crash = snapshot(home.releases_dir)
    current = (home.releases_dir / MONTH / "CURRENT").read_bytes()
    if point in BEFORE_RENAME:
        assert after_crash == v1_tree  # only .staging holds the half-written release
        assert len(staging_leftovers(home.releases_dir)) == 1
    else:
        assert {k: v for k, v in after_crash.items() if k in v1_tree and k != f"{MONTH}/CURRENT"} == {
            k: v for k, v in v1_tree.items() if k != f"{MONTH}/CURRENT"
        }
        assert audit_release(home.releases_dir / MONTH / "v2") == []  # whole, audited
        assert current == (b"v1\n" if point in BEFORE_CURRENT else b"v2\n")
    if point == "mid_current":
        assert (home.releases_dir / MONTH / ".CURRENT.tmp").read_bytes() == b"v2\n"

    rerun = home.publish(restated)
    assert rerun.version == 2
    assert rerun.status == ("published" if point in BEFORE_RENAME else "unchanged")
    if point in BEFORE_RENAME:
        assert any("stale staging folder" in note for note in rerun.recovered)
    elif point in BEFORE_CURRENT:
        assert "CURRENT completed to v2 (published before a crash)" in rerun.recovered
    else:
        assert rerun.recovered == ()
    assert (home.releases_dir / MONTH / "CURRENT").read_bytes() == b"v2\n"
    assert not (home.releases_dir / MONTH / ".CURRENT.tmp").exists()
    assert staging_leftovers(home.releases_dir) == []
    final = snapshot(home.releases_dir)
    assert {k: v for k, v in final.items() if k.startswith(f"{MONTH}/v1")} == {
        k: v for k, v in v1_tree.items() if k.startswith(f"{MONTH}/v1")
    }
    assert sorted({k.split("/")[1] for k in final if k.count("/") >= 1}) == ["CURRENT", "v1", "v2"]
    assert audit_release(home.releases_dir / MONTH / "v2") == []


def test_the_first_publication_of_a_month_survives_a_crash_before_current(home):
    child = publish_in_child(home, home.warehouse, "before_current")
    assert child.returncode == CRASH_EXIT_CODE, child.stderr
    assert not (home.releases_dir / MONTH / "CURRENT").exists()
    assert recover(home.releases_dir, MONTH) == ["CURRENT completed to v1 (published before a crash)"]
    assert (home.releases_dir / MONTH / "CURRENT").read_bytes() == b"v1\n"
    assert recover(home.releases_dir, MONTH) == []


def test_a_damaged_version_folder_is_left_alone_and_never_reused(home):
    home.publish()
    damaged = home.releases_dir / MONTH / "v2"
    damaged.mkdir()
    (damaged / "half-copied.parquet").write_bytes(b"PAR1")
    v3 = home.publish(home.build("restated.duckdb", restated=True))
    assert v3.version == 3 and v3.previous_version == 1
    assert any(note.startswith("v2 fails its hash audit and is left as it is") for note in v3.recovered)
    assert (damaged / "half-copied.parquet").read_bytes() == b"PAR1"
    assert (home.releases_dir / MONTH / "CURRENT").read_bytes() == b"v3\n"
