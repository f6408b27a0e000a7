"""The dossiers feed's column-wise JSON rendering against the per-row reference renderer (the definition).

The server sends `Feed.rows_json`; before it existed the server sent `json.dumps` of `Feed.rows`, which the
reference renderer builds one dict at a time. The two must give the very same bytes for every slice, across part
boundaries, with the defects injected, and with events cut off by `as_of`.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from orchestration.portal.simulator import generator
from orchestration.portal.simulator.generator import PortalData, SimulatorConfig
from orchestration.portal.simulator.server import PortalSimulator

VN = timezone(timedelta(hours=7))
LATE = datetime(2026, 1, 15, 9, 0, tzinfo=VN)  # every lifecycle of 2025-07 is complete and synced
MID_MONTH = datetime(2025, 7, 20, 10, 30, tzinfo=VN)  # open dossiers: later events are invisible (null dates)
CONFIG = SimulatorConfig(seed=20250701, scale="tiny", defect_rate=0.05)
VALUE_DEFECTS = {"unparseable_date", "unknown_procedure", "negative_fee"}


def reference_json(feed, start: int, stop: int) -> bytes:
    """What the server sent before the column-wise renderer: json.dumps of the reference rows."""
    rows = feed._reference_rows(start, stop)
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


@pytest.fixture(scope="module")
def chunked():
    """A tiny portal cut into several parts that are not kept, so slices cross parts and parts are regenerated.

    Chunking draws other random streams, so these are other records than the default tiny portal's: the feeds are
    built while the generator is patched, and the patch is undone before any other test runs.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "CHUNK_DOSSIERS", 1_500)
        patch.setattr(generator, "KEEP_ROWS", 1_000)
        data = PortalData(CONFIG)
        assert len(data._chunks) >= 3
        for as_of in (LATE, MID_MONTH):
            data.feed("dossiers", "2025-07", as_of)
    return data


@pytest.mark.parametrize("as_of", [LATE, MID_MONTH], ids=["late", "mid-month"])
def test_the_whole_feed_renders_to_the_reference_bytes(chunked, as_of):
    feed = chunked.feed("dossiers", "2025-07", as_of)
    assert len(feed._parts) >= 3 and not feed._keep
    assert feed.rows_json(0, len(feed)) == reference_json(feed, 0, len(feed))
    # the comparison covers rows whose values carry a defect (rendered by the reference and spliced in) ...
    assert set(feed.defects()["defect"]) >= VALUE_DEFECTS
    # ... and, mid-month, dossiers still open, whose later dates are null
    if as_of is MID_MONTH:
        assert any(row["NgayTra"] is None for row in feed.rows(0, len(feed)))


def test_pages_across_part_boundaries_render_to_the_reference_bytes(chunked):
    feed = chunked.feed("dossiers", "2025-07", LATE)
    boundaries = [int(b) for b in feed._served[1:-1]]
    slices = [(0, 1), (len(feed) - 1, len(feed)), (len(feed) - 5, len(feed) + 10), (3, 3)]
    slices += [(b - 7, b + 5) for b in boundaries]
    slices += [(start, start + 777) for start in range(0, len(feed), 777)]
    for start, stop in slices:
        assert feed.rows_json(start, stop) == reference_json(feed, start, stop), (start, stop)
    assert feed.rows_json(3, 3) == b"[]"


def test_rows_are_the_reference_rows(chunked):
    feed = chunked.feed("dossiers", "2025-07", MID_MONTH)
    assert feed.rows(100, 2_100) == feed._reference_rows(100, 2_100)


def test_a_served_page_is_byte_identical_to_the_envelope_of_the_reference_rows(chunked):
    with PortalSimulator(CONFIG, data=chunked, as_of=LATE) as sim:
        body = sim.feed_page("dossiers", {"period": "2025-07", "limit": "500"}, None)
    feed = chunked.feed("dossiers", "2025-07", LATE)
    head = json.loads(body)
    expected = {
        "dataset": "dossiers",
        "period": "2025-07",
        "total": feed.total,
        "next_cursor": head["next_cursor"],
        "generated_at": feed.generated_at,
        "data": feed._reference_rows(0, 500),
    }
    assert head["next_cursor"]
    assert body == json.dumps(expected, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


# sha256 of json.dumps(feed.rows(...)) for the dossiers of 2025-07 (seed 20250701, tiny, defect rate 0.01),
# computed with the per-row implementation before the column-wise renderer: the records have not changed.
GOLDEN = {
    LATE: (4415, "a78c20719894f200664b2ba35ad54ee8c1e9551d1384c0bdc7594fd3020beed9"),
    MID_MONTH: (3130, "bbf4c3f3e8b22e2fdf125829d6ad14fa10c3d99c0df8888e2f4046b123bc3209"),
}


@pytest.mark.parametrize("as_of", [LATE, MID_MONTH], ids=["late", "mid-month"])
def test_the_served_records_are_those_served_before_the_renderer_changed(as_of):
    data = PortalData(SimulatorConfig(seed=20250701, scale="tiny", defect_rate=0.01))
    feed = data.feed("dossiers", "2025-07", as_of)
    count, digest = GOLDEN[as_of]
    assert len(feed) == count
    assert hashlib.sha256(feed.rows_json(0, len(feed))).hexdigest() == digest


def test_pages_rendered_at_once_by_a_fresh_renderer_in_several_threads_are_the_reference_bytes():
    # the server answers each request in its own thread; the renderer registers its literals on first use
    data = PortalData(CONFIG)
    feed = data.feed("dossiers", "2025-07", LATE)
    starts = list(range(0, len(feed), 250))
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda start: feed.rows_json(start, start + 250), starts))
    for start, page in zip(starts, pages, strict=True):
        assert page == reference_json(feed, start, start + 250), start
