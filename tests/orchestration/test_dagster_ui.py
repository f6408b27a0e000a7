"""The Dagster UI as an engineer opens it: `dvc-index ui` (dagster dev on orchestration.definitions) on a free
loopback port, looked at in headless Chromium with the network off.

It shows the asset graph from the raw feeds through dbt's models to the gate and the release, the monthly_index
job, its schedule and the gate's blocking check, loads nothing from outside the server (telemetry is off in the
instance `dvc-index` writes) and logs no console error. Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.browser import offline_page, require_browser, screenshot

LOCATION = "orchestration.definitions"
START_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    require_browser()
    home = tmp_path_factory.mktemp("ui-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "PORTAL_TOKEN", "DUCKDB_PATH")}
    env["DVC_INDEX_HOME"] = str(home)
    log = home / "ui.log"
    dvc_index = Path(sys.executable).parent / "dvc-index"
    with log.open("w") as out:
        process = subprocess.Popen([str(dvc_index), "ui", "--port", str(port)], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/server_info", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Dagster UI did not start (exit {process.poll()}):\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield url, home, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _open(page, url: str, ready_text: str) -> str:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(ready_text, exact=True).first.wait_for(timeout=120_000)
    skip = page.get_by_role("button", name="Skip")  # Dagster's community dialog, on a first visit
    if skip.count():
        skip.click()
    page.wait_for_load_state("networkidle")
    return page.locator("body").inner_text()


@pytest.mark.timeout(600)
def test_the_dagster_ui_shows_the_pipeline_offline(dagster_ui, tmp_path):
    url, home, log_file = dagster_ui
    with offline_page(tmp_path, allowed=[url]) as (page, log):
        # the gate in its graph: the marts (dbt) before it, the release after it
        text = _open(page, f"{url}/assets/quality/gate?view=lineage", "monthly")
        for name in ("marts", "fct_unit_scores", "rpt_rankings", "quality", "gate", "release", "monthly"):
            assert name in text.split("\n"), f"{name} is not in the gate's lineage graph"
        gate_graph = screenshot(page, "dagster-ui-gate-lineage.png")
        # a raw feed and the dbt model that reads it
        text = _open(page, f"{url}/assets/raw/dossiers?view=lineage", "ingestion")
        assert "dossiers" in text and "base_po…__dossiers" in text
        # the whole graph, by group
        text = _open(page, f"{url}/asset-groups", "Global asset lineage")
        for group in ("ingestion", "seeds", "staging", "intermediate", "marts", "quality", "release"):
            assert group in text.split("\n"), f"group {group} is not in the global lineage"
        screenshot(page, "dagster-ui-lineage.png")
        # the job, its schedule, and the gate's blocking check
        text = _open(page, f"{url}/locations/{LOCATION}/jobs/monthly_index", "monthly_index")
        assert "At 06:00 AM GMT+7, on day 5 of the month" in text
        text = _open(page, f"{url}/automation", "monthly_index_schedule")
        assert "monthly_index_schedule" in text
        text = _open(page, f"{url}/assets/quality/gate?view=checks", "passed")
        assert "This is a blocking asset check." in text
        screenshot(page, "dagster-ui-gate-check.png")
    log.assert_clean()
    assert all(r.startswith(url) for r in log.requested), [r for r in log.requested if not r.startswith(url)]
    assert gate_graph.stat().st_size > 10_000
    # telemetry off in the instance the UI and `dvc-index run` share, and a quiet start
    assert "enabled: false" in (home / "dagster" / "dagster.yaml").read_text()
    started = log_file.read_text()
    assert f"Dagster UI: {url}" in started
    assert "alembic" not in started, started[-2000:]
