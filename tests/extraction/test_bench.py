"""The extraction measurement the benchmark calls: it lands the whole feed both ways and says so."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from orchestration.bench.extraction import default_as_of, measure_extraction, simulator_process
from tests.conftest import AS_OF, TEST_CONFIG


def test_both_modes_land_every_served_record_and_report_rates_and_memory(portal_data, tmp_path):
    result = measure_extraction(month="2025-07", data=portal_data, as_of=AS_OF, page_size=1000, work_dir=tmp_path)
    feed = portal_data.feed("dossiers", "2025-07", AS_OF)
    assert result["scale"] == "tiny" and result["dataset"] == "dossiers"
    assert result["records"] == len(feed) and result["total"] == feed.total
    for mode in ("http", "direct"):
        run = result[mode]
        assert run["records"] == len(feed)
        assert run["pages"] == -(-len(feed) // 1000)
        assert abs(run["records_per_second"] * run["seconds"] - run["records"]) < 0.01 * run["records"]
        assert run["cpu_seconds"] > 0 and run["peak_rss_mb"] > 0
    assert result["peak_rss_mb"] >= max(result["http"]["peak_rss_mb"], result["direct"]["peak_rss_mb"])
    assert list(tmp_path.iterdir()) == [], "the landed files are removed afterwards"


def test_the_default_portal_clock_is_past_the_simulators_horizon():
    assert default_as_of("2025-07").isoformat() == "2026-03-01T09:00:00+07:00"
    assert default_as_of("2025-12").isoformat() == "2026-08-01T09:00:00+07:00"


def test_the_simulator_process_ends_on_sigterm_even_when_its_parent_ignores_it():
    # background jobs of some shells and CI runners ignore SIGTERM, and children inherit that through exec: the
    # server resets it, so terminating it works without the 30 s wait and kill that simulator_process falls back on
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with simulator_process(TEST_CONFIG, AS_OF, "units", "2025-07") as url:
            assert httpx.get(f"{url}/_sim/health").json()["status"] == "ok"
            leaving = time.monotonic()
        assert time.monotonic() - leaving < 10, "the server ignored SIGTERM and had to be killed"
    finally:
        signal.signal(signal.SIGTERM, previous)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_sim/health", timeout=2)
