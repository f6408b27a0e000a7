"""Two `dvc-index run` on one home, for real: while the first runs a month on the embedded simulator, a second
for the same month and one for another month exit at once with status 75, naming the first (its PID and what it
runs), and write nothing; the first is untouched by them and finishes, and its warehouse opens and holds its
month. No DuckDB lock error reaches the user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "DVC_INDEX_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    for inherited in ("PORTAL_BASE_URL", "DUCKDB_PATH", "PORTAL_TOKEN"):
        env.pop(inherited, None)
    return env


def _run(month: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", "run", "--month", month, "--scale", "tiny"]


def test_a_second_run_on_the_same_home_exits_at_once_naming_the_first(tmp_path):
    lock = tmp_path / "locks" / "home.lock"
    first = subprocess.Popen(_run("2025-07"), cwd=REPO, env=_env(tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if lock.exists() and lock.read_text(encoding="utf-8").strip():
                break
            assert first.poll() is None, first.communicate()[1][-3000:]
            time.sleep(0.1)
        holder = json.loads(lock.read_text(encoding="utf-8"))
        assert holder["pid"] == first.pid and holder["purpose"] == "dvc-index run 2025-07"
        for month in ("2025-07", "2025-06"):
            started = time.monotonic()
            second = subprocess.run(_run(month), cwd=REPO, env=_env(tmp_path), capture_output=True, text=True,
                                    timeout=120)
            assert second.returncode == 75, second.stderr[-3000:]
            assert f"PID {first.pid}" in second.stderr and "dvc-index run 2025-07" in second.stderr
            assert "--wait" in second.stderr
            assert "Could not set lock" not in second.stderr and "Traceback" not in second.stderr
            assert "embedded simulator" not in second.stderr and "extract" not in second.stderr  # nothing started
            assert time.monotonic() - started < 60
            assert first.poll() is None  # the first goes on
        out, err = first.communicate(timeout=900)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err[-4000:]
    assert "release 2025-07: v1 published" in err
    assert not lock.read_text(encoding="utf-8").strip()  # released
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        months = con.execute(
            "select distinct strftime(period_start, '%Y-%m') from marts.fct_unit_scores where period_type = 'month'"
        ).fetchall()
    assert ("2025-07",) in months
