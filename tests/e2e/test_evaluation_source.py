"""A run from the published evaluation alone, against a simulator that serves only PORTAL_API.md §2.

The simulator answers 404 for every record feed, as a public portal does. July 2025 is run from the evaluation as
the portal published it on 3/8 (release v1); then `dvc-index backfill --source evaluation --rerun` lands and builds
July (restated: the portal's figures moved with its late syncs, v2 with a diff) and August 2025 (after the merger:
34 provinces) from the evaluation alone; a third backfill resumes (nothing to do). The default source against the
same portal fails and names the missing feeds and the way out.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration import cli
from orchestration.pipeline import FeedsMissing, run_months
from orchestration.portal.simulator.server import PortalSimulator
from tests.conftest import AS_OF, TEST_CONFIG
from tests.e2e.test_monthly_run import EARLY, settings_for

pytestmark = pytest.mark.e2e

MONTHS = ["2025-07", "2025-08"]
TOLERANCE = 0.015


@pytest.fixture(scope="module")
def backfilled(portal_data, tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("evaluation_source")
    settings = settings_for(home)
    monkeypatch_module.setenv("DVC_INDEX_HOME", str(home))
    monkeypatch_module.setenv("DAGSTER_HOME", str(home / "dagster"))
    # a run in this process exports the warehouse path of the settings it ran with: point it at this home
    monkeypatch_module.setenv("DUCKDB_PATH", str(settings.duckdb_path))
    monkeypatch_module.delenv("PORTAL_BASE_URL", raising=False)
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=EARLY, serve_feeds=False) as sim:
        early = cli.main(["run", "--month", MONTHS[0], "--source", "evaluation", "--portal-url", sim.url])
        feed_requests = {path for path in sim.stats if path.startswith("/api/v1/sync/")}
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF, serve_feeds=False) as sim:
        args = ["backfill", "--from", MONTHS[0], "--through", MONTHS[-1], "--source", "evaluation",
                "--portal-url", sim.url]
        first = cli.main([*args, "--rerun"])
        again = cli.main(args)
        feed_requests |= {path for path in sim.stats if path.startswith("/api/v1/sync/")}
    return {"settings": settings, "early": early, "first": first, "again": again, "feed_requests": feed_requests}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _connect(settings):
    return duckdb.connect(str(settings.duckdb_path), read_only=True)


def test_the_backfill_publishes_a_release_per_month_without_asking_for_any_record_feed(backfilled, capsys):
    assert backfilled["early"] == 0 and backfilled["first"] == 0 and backfilled["again"] == 0
    assert backfilled["feed_requests"] == set()
    releases = backfilled["settings"].releases_dir
    for month in MONTHS:
        current = (releases / month / "CURRENT").read_text().strip()
        manifest = json.loads((releases / month / current / "manifest.json").read_text())
        assert manifest["source"] == "evaluation"
        report = (releases / month / current / "report.html").read_text(encoding="utf-8")
        assert "Nguồn: kết quả đánh giá do Cổng Dịch vụ công quốc gia công bố" in report


def test_the_last_backfill_resumes_with_nothing_to_do(backfilled):
    releases = backfilled["settings"].releases_dir
    assert (releases / "2025-07" / "CURRENT").read_text().strip() == "v2"
    assert not (releases / "2025-07" / "v3").exists()
    assert (releases / "2025-08" / "CURRENT").read_text().strip() == "v1"
    assert not (releases / "2025-08" / "v2").exists()


def test_a_later_extraction_of_the_published_evaluation_that_differs_is_a_restatement(backfilled):
    releases = backfilled["settings"].releases_dir / "2025-07"
    diff = json.loads((releases / "v2" / "diff.json").read_text())
    assert diff and json.dumps(diff).count("unit_id") > 0
    with duckdb.connect(str(releases / "v1" / "published.duckdb"), read_only=True) as v1, duckdb.connect(
        str(releases / "v2" / "published.duckdb"), read_only=True
    ) as v2:
        query = "select unit_id, total_points from marts.rpt_rankings where period_type = 'month'"
        before, after = dict(v1.execute(query).fetchall()), dict(v2.execute(query).fetchall())
        restated = {
            u for (u,) in v2.execute("select unit_id from marts.rpt_rankings where is_restated").fetchall()
        }
    changed = {u for u in after if u in before and before[u] != after[u]}
    assert changed, "the portal's late syncs should move some of July's published figures"
    assert changed <= restated


def test_every_province_and_ministry_is_ranked_at_every_period(backfilled):
    with _connect(backfilled["settings"]) as con:
        ranked = dict(
            con.execute(
                "select period_type || ' ' || peer_group, count(competition_rank) from marts.rpt_rankings "
                "where peer_group in ('provinces', 'ministries') group by all"
            ).fetchall()
        )
        ministries = con.execute("select count(*) from marts.dim_units where unit_type = 'ministry'").fetchone()[0]
    assert ranked["month provinces"] == 34 * 2  # July and August
    assert ranked["month ministries"] == ministries * 2
    assert ranked["quarter provinces"] == 34 and ranked["year provinces"] == 34


def test_the_points_from_the_portal_s_inputs_equal_its_published_points(backfilled):
    with _connect(backfilled["settings"]) as con:
        compared = con.execute(
            """
            select period_type, count(*), max(abs(points_from_portal_inputs - published_points))
            from marts.rpt_reconciliation
            where published_points is not null and rule_status in ('confirmed', 'fitted')
            group by all
            """
        ).fetchall()
        records = con.execute("select count(*) from marts.fct_unit_scores where input_source = 'records'").fetchone()
    assert {row[0] for row in compared} == {"month", "quarter", "year"}
    assert all(count > 0 and worst <= TOLERANCE for _, count, worst in compared), compared
    assert records == (0,)


def test_changes_are_attributed_from_the_portal_s_inputs(backfilled):
    with _connect(backfilled["settings"]) as con:
        august = con.execute(
            "select count(*), count(distinct unit_id) from marts.rpt_score_changes "
            "where period_type = 'month' and period_start = '2025-08-01'"
        ).fetchone()
    assert august[0] > 0 and august[1] > 34


def test_the_default_source_names_the_missing_feeds_and_the_way_out(portal_data, tmp_path):
    with (
        PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF, serve_feeds=False) as sim,
        pytest.raises(FeedsMissing) as failure,
    ):
        run_months(["2025-07"], portal_url=sim.url, settings=settings_for(tmp_path))
    message = str(failure.value)
    assert "dossiers" in message and "units" in message and "HTTP 404" in message
    assert "--source evaluation" in message
