"""Landing a feed into the immutable raw zone, over HTTP against the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pyarrow.parquet as pq
import pytest

from orchestration import landing
from orchestration.landing import (
    INPROGRESS,
    FeedExtractor,
    IncompleteExtractionError,
    as_text,
    list_extractions,
    period_dir,
    sha256_of,
)
from orchestration.portal.client import FeedPage, FeedPageBody, PortalClient, RetryPolicy
from tests.conftest import AS_OF
from tests.extraction.helpers import landed_records, landed_table, only_extraction, tree_digest

PERIOD = "2025-07"
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


def extractor(sim, raw_dir: Path, page_size: int = 200, **kwargs) -> FeedExtractor:
    client = PortalClient(sim.url, retry=FAST_RETRY)
    return FeedExtractor(client, raw_dir, page_size=page_size, **kwargs)


def served_rows(portal_data, dataset: str, period: str) -> list[dict]:
    feed = portal_data.feed(dataset, period, AS_OF)
    return feed.rows(0, len(feed))


def test_every_record_of_a_period_lands_exactly_once_across_pages(simulator, portal_data, tmp_path):
    feed = portal_data.feed("dossiers", PERIOD, AS_OF)
    assert len(feed) > 600, "the test needs several pages"
    result = extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    assert result.pages == -(-len(feed) // 200)
    assert result.distinct_keys == result.total_reported == feed.total
    landed = landed_records(result.path)
    served = served_rows(portal_data, "dossiers", PERIOD)
    assert len(landed) == len(served)  # duplicated records in the feed are landed as served
    assert [r["MaHoSo"] for r in landed] == [r["MaHoSo"] for r in served]
    for got, want in zip(landed, served, strict=True):
        assert {k: v for k, v in got.items() if k != "_record_key"} == {
            k: as_text(want.get(k)) for k in got if k != "_record_key"
        }


def test_manifest_names_url_parameters_counts_and_hashes(simulator, tmp_path):
    result = extractor(simulator, tmp_path).extract("units", PERIOD)
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert manifest["url"] == f"{simulator.url}/api/v1/sync/units"
    assert manifest["parameters"] == {"period": PERIOD, "limit": 200}
    assert manifest["record_count"] == sum(f["rows"] for f in manifest["files"])
    assert manifest["extracted_at"] == result.extraction_id
    assert result.path.name == f"extracted_at={result.extraction_id}"
    for entry in manifest["files"]:
        assert sha256_of(result.path / entry["path"]) == entry["sha256"]
    assert not (period_dir(tmp_path, "units", PERIOD) / INPROGRESS).exists()


def test_nested_lists_land_as_json_text_and_numbers_as_their_text(simulator, tmp_path):
    result = extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    table = landed_table(result.path)
    history = table.column("QuaTrinhXuLy").to_pylist()
    assert all(json.loads(h) is not None for h in history if h is not None)
    for name in table.column_names:
        if name not in {"_page", "_row"}:
            assert str(table.schema.field(name).type) == "string", name


def test_a_rerun_adds_an_extraction_and_leaves_the_first_byte_identical(simulator, tmp_path):
    first = extractor(simulator, tmp_path).extract("procedures", PERIOD)
    before = tree_digest(first.path)
    second = extractor(simulator, tmp_path).extract("procedures", PERIOD)
    assert second.path != first.path
    assert tree_digest(first.path) == before
    assert list_extractions(tmp_path, "procedures", PERIOD) == sorted([first.path, second.path])
    assert landed_records(first.path) == landed_records(second.path)


def test_records_shifting_while_paging_restart_the_extraction(simulator, portal_data, tmp_path):
    httpx.post(
        f"{simulator.url}/_sim/faults", json={"kind": "shift", "path": "/api/v1/sync/dossiers", "after": 1}
    ).raise_for_status()
    result = extractor(simulator, tmp_path).extract("dossiers", PERIOD)
    assert result.distinct_keys == result.total_reported
    assert [r["MaHoSo"] for r in landed_records(result.path)] == [
        r["MaHoSo"] for r in served_rows(portal_data, "dossiers", PERIOD)
    ]
    assert len(list_extractions(tmp_path, "dossiers", PERIOD)) == 1


def test_an_extraction_that_never_adds_up_fails_and_lands_nothing(simulator, tmp_path):
    httpx.post(
        f"{simulator.url}/_sim/faults",
        json={"kind": "shift", "path": "/api/v1/sync/dossiers", "after": 1, "times": None},
    ).raise_for_status()
    with pytest.raises(IncompleteExtractionError, match=r"dossiers 2025-07: received \d+ distinct keys"):
        extractor(simulator, tmp_path, max_restarts=1).extract("dossiers", PERIOD)
    assert list_extractions(tmp_path, "dossiers", PERIOD) == []


KILLABLE_EXTRACTION = """
import sys
from pathlib import Path
from orchestration.landing import FeedExtractor
from orchestration.portal.client import PortalClient
FeedExtractor(PortalClient(sys.argv[1]), Path(sys.argv[2]), page_size=100).extract("dossiers", sys.argv[3])
"""


def children_of(pid: int) -> set[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_extraction_killed_midway_resumes_and_lands_the_same_records(simulator, tmp_path, workers):
    # Every page after the third is slow, so the process is surely killed in the middle of paging.
    httpx.post(
        f"{simulator.url}/_sim/faults",
        json={"kind": "slow", "path": "/api/v1/sync/dossiers", "after": 3, "times": None, "delay": 0.3},
    ).raise_for_status()
    killed_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_EXTRACTION, simulator.url, str(killed_dir), PERIOD],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "DVC_INDEX_LANDING_WORKERS": workers},
    )
    checkpoint = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list((period_dir(killed_dir, "dossiers", PERIOD) / INPROGRESS).glob("*/checkpoint.json"))
        if found and json.loads(found[0].read_text())["pages"] >= 4:
            checkpoint = found[0]
            break
        time.sleep(0.05)
    landing_workers = children_of(proc.pid)
    if workers == "2":
        assert landing_workers, "the extraction should be landing through worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert checkpoint is not None, "the extraction never got going"
    # landing workers do not outlive the process they landed for
    deadline = time.monotonic() + 10
    while landing_workers and time.monotonic() < deadline:
        landing_workers = {pid for pid in landing_workers if Path(f"/proc/{pid}").exists()}
        time.sleep(0.1)
    assert not landing_workers, f"landing workers {landing_workers} outlived the killed extraction"
    assert list_extractions(killed_dir, "dossiers", PERIOD) == [], "a partial extraction must not be visible"
    pages_before = json.loads(checkpoint.read_text())["pages"]

    httpx.delete(f"{simulator.url}/_sim/faults").raise_for_status()
    resumed = extractor(simulator, killed_dir, page_size=100).extract("dossiers", PERIOD)
    assert resumed.resumed
    assert resumed.extraction_id in checkpoint.parent.name
    assert json.loads((resumed.path / "manifest.json").read_text())["resumed"] is True
    assert pages_before < resumed.pages

    clean = extractor(simulator, tmp_path / "clean", page_size=100).extract("dossiers", PERIOD)
    assert landed_records(resumed.path) == landed_records(clean.path)
    assert only_extraction(killed_dir, "dossiers", PERIOD) == resumed.path


def test_a_failed_write_stops_the_extraction_and_the_checkpoint_names_only_parts_on_disk(
    simulator, portal_data, tmp_path, monkeypatch
):
    # parts are written by a background thread while the next page is fetched: a failure must still stop the
    # extraction at that page, and resuming must land every record exactly once (pages landed in this process,
    # where the fault is injected; worker processes: the test after this one)
    real_write = landing.write_part

    def disk_full_on_page_3(work, table, page):
        if page == 3:
            raise OSError("No space left on device")
        return real_write(work, table, page)

    monkeypatch.setattr(landing, "write_part", disk_full_on_page_3)
    with pytest.raises(OSError, match="No space left"):
        extractor(simulator, tmp_path, workers=1).extract("dossiers", PERIOD)
    (work,) = (period_dir(tmp_path, "dossiers", PERIOD) / INPROGRESS).glob("extracted_at=*")
    assert json.loads((work / "checkpoint.json").read_text())["pages"] == 3
    assert sorted(p.name for p in work.glob("part-*")) == [f"part-{i:05d}.parquet" for i in range(3)]

    monkeypatch.setattr(landing, "write_part", real_write)
    resumed = extractor(simulator, tmp_path, workers=1).extract("dossiers", PERIOD)
    assert resumed.resumed
    assert [r["MaHoSo"] for r in landed_records(resumed.path)] == [
        r["MaHoSo"] for r in served_rows(portal_data, "dossiers", PERIOD)
    ]


def test_landing_workers_land_the_same_parts_as_one_process(simulator, tmp_path):
    # 1,000+ dossiers in pages of 100: more than PARALLEL_FROM_PAGES pages, so workers decode and write them
    alone = extractor(simulator, tmp_path / "alone", page_size=100, workers=1).extract("dossiers", PERIOD)
    pooled = extractor(simulator, tmp_path / "pooled", page_size=100, workers=3).extract("dossiers", PERIOD)
    assert pooled.pages == alone.pages > landing.PARALLEL_FROM_PAGES
    assert (pooled.record_count, pooled.distinct_keys) == (alone.record_count, alone.distinct_keys)
    drop = ["_extracted_at"]  # the extraction's id, the one column that differs
    for a, b in zip(sorted(alone.path.glob("part-*")), sorted(pooled.path.glob("part-*")), strict=True):
        assert a.name == b.name
        assert pq.read_table(a).drop_columns(drop).equals(pq.read_table(b).drop_columns(drop))


class BodyClient:
    """Serves pages as undecoded bodies (as PortalClient.get_feed_page_body does), `bad_page`'s with a `data`
    that is not a list; asking for `unavailable_page` raises as a portal down for good would."""

    def __init__(self, rows: list[dict], page_size: int, bad_page: int | None = None,
                 unavailable_page: int | None = None) -> None:
        self.rows, self.page_size, self.bad_page, self.unavailable_page = rows, page_size, bad_page, unavailable_page

    def feed_url(self, dataset: str) -> str:
        return f"http://portal.invalid/api/v1/sync/{dataset}"

    def get_feed_page_body(self, dataset, period, cursor=None, limit=1000) -> FeedPageBody:
        start = int(cursor or 0)
        if start // limit == self.unavailable_page:
            raise landing.PortalError("portal GET /api/v1/sync/dossiers still failing after 6 attempts")
        end = min(start + limit, len(self.rows))
        data = self.rows[start:end] if start // limit != self.bad_page else {"oops": True}
        next_cursor = str(end) if end < len(self.rows) else None
        body = orjson.dumps({"total": len({r["MaHoSo"] for r in self.rows}), "data": data, "next_cursor": next_cursor})
        return FeedPageBody(dataset, period, len(self.rows), next_cursor, None, body)

    def get_feed_page(self, dataset, period, cursor=None, limit=1000) -> FeedPage:
        """The same page decoded (what an extractor landing in its own process asks for)."""
        page = self.get_feed_page_body(dataset, period, cursor, limit)
        return FeedPage(dataset, period, page.total, page.next_cursor, None, orjson.loads(page.body)["data"])


def test_a_page_a_worker_cannot_land_stops_the_extraction_and_resume_drops_what_landed_ahead(
    portal_data, tmp_path
):
    rows = [r for r in served_rows(portal_data, "dossiers", PERIOD) if r.get("MaHoSo")]
    rows = list({r["MaHoSo"]: r for r in rows}.values())  # one record per key, so every page adds up
    bad = BodyClient(rows, page_size=100, bad_page=3)
    with pytest.raises(landing.PortalError, match="`data` that is not a list"):
        FeedExtractor(bad, tmp_path, page_size=100, workers=2).extract("dossiers", PERIOD)
    (work,) = (period_dir(tmp_path, "dossiers", PERIOD) / INPROGRESS).glob("extracted_at=*")
    # the checkpoint stops before the bad page, though workers may have landed pages after it
    assert json.loads((work / "checkpoint.json").read_text())["pages"] == 3
    # a part past the last page, as a crashed run could leave ahead of its checkpoint: resume must drop it
    assert len(rows) < 99 * 100
    (work / "part-00099.parquet").write_bytes(b"stray part of a crashed run")

    resumed = FeedExtractor(BodyClient(rows, page_size=100), tmp_path, page_size=100, workers=2).extract(
        "dossiers", PERIOD
    )
    assert resumed.resumed and resumed.record_count == len(rows)
    assert [r["MaHoSo"] for r in landed_records(resumed.path)] == [r["MaHoSo"] for r in rows]
    assert not (resumed.path / "part-00099.parquet").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_pages_landed_before_a_failed_fetch_are_kept(portal_data, tmp_path, workers):
    rows = [r for r in served_rows(portal_data, "dossiers", PERIOD) if r.get("MaHoSo")]
    rows = list({r["MaHoSo"]: r for r in rows}.values())
    down = BodyClient(rows, page_size=100, unavailable_page=7)
    with pytest.raises(landing.PortalError, match="still failing"):
        FeedExtractor(down, tmp_path, page_size=100, workers=workers).extract("dossiers", PERIOD)
    (work,) = (period_dir(tmp_path, "dossiers", PERIOD) / INPROGRESS).glob("extracted_at=*")
    # every page before the one the portal would not give is on disk and in the checkpoint: none is fetched again
    checkpoint = json.loads((work / "checkpoint.json").read_text())
    assert checkpoint["pages"] == 7 and checkpoint["next_cursor"] == "700"
    assert sorted(p.name for p in work.glob("part-*.parquet")) == [f"part-{i:05d}.parquet" for i in range(7)]


UNGUARDED_SCRIPT = """
import sys
from pathlib import Path
from orchestration.landing import FeedExtractor
from orchestration.portal.client import PortalClient
FeedExtractor(PortalClient(sys.argv[1]), Path(sys.argv[2]), page_size=100, workers=2).extract("dossiers", sys.argv[3])
"""


def test_a_script_without_the_main_guard_gets_told_what_to_do(simulator, tmp_path):
    # worker processes re-import the main module: a script that extracts at import time breaks its pool
    script = tmp_path / "land.py"
    script.write_text(UNGUARDED_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), simulator.url, str(tmp_path / "raw"), PERIOD],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.returncode != 0
    assert "LandingWorkersError" in done.stderr and 'if __name__ == "__main__":' in done.stderr
    assert "DVC_INDEX_LANDING_WORKERS=1" in done.stderr
