"""A portal that answers what no portal should, over HTTP against the simulator's injected faults: an HTML page, a
JSON body cut short, a `total` that the records never reach, a page beyond the configured bound. Each fails the
extraction with a message naming the endpoint and the page, and lands nothing: no `extracted_at=` folder appears
(the pages landed before the failure stay in the in-progress folder, for the next run to resume), and a run after
the portal recovers lands every record once."""

from __future__ import annotations

import re

import httpx
import pytest

from orchestration.evaluation_landing import EvaluationExtractor
from orchestration.landing import (
    INPROGRESS,
    FeedExtractor,
    IncompleteExtractionError,
    list_extractions,
    period_dir,
)
from orchestration.portal.client import (
    DEFAULT_MAX_PAGE_BYTES,
    PortalClient,
    PortalPageTooLargeError,
    PortalUnavailableError,
    RetryPolicy,
    max_page_bytes,
)
from tests.conftest import AS_OF
from tests.extraction.helpers import landed_records

PERIOD = "2025-07"
FEED = "/api/v1/sync/dossiers"
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


def fault(sim, **rule) -> None:
    httpx.post(f"{sim.url}/_sim/faults", json=rule).raise_for_status()


def extractor(sim, raw_dir, **client) -> FeedExtractor:
    return FeedExtractor(PortalClient(sim.url, retry=FAST_RETRY, **client), raw_dir, page_size=200, max_restarts=0)


def nothing_landed(raw_dir, dataset="dossiers") -> bool:
    return list_extractions(raw_dir, dataset, PERIOD) == []


@pytest.mark.parametrize("kind, reason", [
    ("html", r"HTTP 200 with a body that is not JSON \(text/html; charset=utf-8, \d+ bytes: '<!DOCTYPE html>"),
    ("truncate", r"HTTP 200 with a body that is not JSON \(application/json; charset=utf-8, [\d,]+ bytes"),
])
def test_a_page_that_is_not_json_fails_naming_the_endpoint_and_the_page(simulator, tmp_path, kind, reason):
    fault(simulator, kind=kind, path=FEED, after=2, times=None)  # pages 1 and 2 are fine, then never again
    with pytest.raises(PortalUnavailableError) as failed:
        extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    message = str(failed.value)
    assert f"GET {FEED}" in message and "after 3 attempts" in message
    assert "[at dossiers 2025-07, page 3, cursor " in message
    assert re.search(reason, message), message
    assert nothing_landed(tmp_path)
    # the two good pages wait in the in-progress folder; once the portal recovers, the next run resumes there
    assert len(list((period_dir(tmp_path, "dossiers", PERIOD) / INPROGRESS).glob("*/part-*.parquet"))) == 2
    httpx.delete(f"{simulator.url}/_sim/faults").raise_for_status()
    result = extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    assert result.resumed and result.distinct_keys == result.total_reported
    feed = simulator.data.feed("dossiers", PERIOD, AS_OF)
    assert sorted(r["MaHoSo"] for r in landed_records(result.path)) == sorted(r["MaHoSo"] for r in feed.rows(0, len(feed)))


def test_a_first_page_that_is_html_names_the_first_page(simulator, tmp_path):
    fault(simulator, kind="html", path=FEED, times=None)
    with pytest.raises(PortalUnavailableError, match=r"\[at dossiers 2025-07, page 1, the first page\]"):
        extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    assert nothing_landed(tmp_path)


def test_a_total_the_records_never_reach_fails_and_lands_nothing(simulator, tmp_path):
    fault(simulator, kind="total", path=FEED, times=None, size=7)
    with pytest.raises(IncompleteExtractionError) as failed:
        extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    feed = simulator.data.feed("dossiers", PERIOD, AS_OF)
    message = str(failed.value)
    assert f"received {feed.total} distinct keys but the portal reported total={feed.total + 7}" in message
    assert f"GET {FEED}" in message
    assert nothing_landed(tmp_path)
    assert not list((period_dir(tmp_path, "dossiers", PERIOD) / INPROGRESS).glob("*/part-*.parquet"))


def test_a_page_beyond_the_bound_is_refused_at_once_naming_the_bound(simulator, tmp_path):
    fault(simulator, kind="oversize", path=FEED, after=1, times=None, size=300_000)
    with pytest.raises(PortalPageTooLargeError) as failed:
        extractor(simulator, tmp_path, max_body_bytes=400_000).extract("dossiers", PERIOD)
    message = str(failed.value)
    assert f"portal GET {FEED} answered a body of" in message and "beyond the bound of 400,000" in message
    assert "DVC_INDEX_MAX_PAGE_BYTES" in message and "[at dossiers 2025-07, page 2, cursor " in message
    stats = httpx.get(f"{simulator.url}/_sim/stats").json()["requests"]
    assert stats[FEED] == 2  # not retried: it would be as large again
    assert nothing_landed(tmp_path)


def test_a_page_within_the_bound_with_an_unknown_field_lands(simulator, tmp_path):
    fault(simulator, kind="oversize", path=FEED, after=1, times=1, size=1000)
    result = extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    assert result.distinct_keys == result.total_reported


def test_the_bound_comes_from_the_environment_and_is_checked(monkeypatch):
    monkeypatch.delenv("DVC_INDEX_MAX_PAGE_BYTES", raising=False)
    assert max_page_bytes() == DEFAULT_MAX_PAGE_BYTES
    monkeypatch.setenv("DVC_INDEX_MAX_PAGE_BYTES", "1048576")
    assert max_page_bytes() == 1048576
    assert PortalClient("http://127.0.0.1:9").max_body_bytes == 1048576
    for bad in ("-1", "0", "1e6", "big"):
        monkeypatch.setenv("DVC_INDEX_MAX_PAGE_BYTES", bad)
        with pytest.raises(ValueError, match=f"DVC_INDEX_MAX_PAGE_BYTES must be .*, got '{bad}'"):
            max_page_bytes()


def test_an_evaluation_page_that_is_html_names_the_endpoint_and_page(simulator, tmp_path):
    fault(simulator, kind="html", path="/api/v1/reporting/evaluation/", after=3, times=None)
    client = PortalClient(simulator.url, retry=FAST_RETRY)
    with pytest.raises(PortalUnavailableError) as failed:
        EvaluationExtractor(client, tmp_path, time_types=["month"]).extract(PERIOD)
    message = str(failed.value)
    assert "POST /api/v1/reporting/evaluation/" in message and "text/html" in message
    assert "[at evaluation " in message and ") page " in message
    assert list_extractions(tmp_path, "evaluation", PERIOD) == []


@pytest.mark.parametrize("dataset, period", [
    ("dossiers", "../.."), ("dossiers", "2025-07/../../x"), ("dossiers", "2025-13"), ("dossiers", ""),
    ("dossiers", "2025-07\n"), ("../dossiers", "2025-07"), ("dossiers/../../etc", "2025-07"), ("DOSSIERS", "2025-07"),
])
def test_a_dataset_or_period_that_could_leave_the_raw_zone_is_refused(tmp_path, dataset, period):
    with pytest.raises(ValueError, match="unknown dataset|period must be YYYY-MM"):
        period_dir(tmp_path, dataset, period)
    with pytest.raises(ValueError):
        FeedExtractor(PortalClient("http://127.0.0.1:9"), tmp_path, page_size=10).extract(dataset, period)
    assert list(tmp_path.iterdir()) == []


def test_the_dataset_and_period_a_page_names_never_choose_where_it_lands(simulator, tmp_path):
    """The raw zone's folders come from what was asked for; a page's own `dataset` / `period` fields are data."""
    result = extractor(simulator, tmp_path).extract("units", PERIOD)
    assert result.path.parent == period_dir(tmp_path, "units", PERIOD)
