"""End to end: `run_months` and the `dvc-index` command against the simulator over real HTTP, then dbt."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from orchestration.history import context_periods
from orchestration.landing import FEEDS, dataset_dir_name, list_extractions
from orchestration.pipeline import run_months
from orchestration.portal.simulator.server import PortalSimulator
from orchestration.settings import load_settings
from tests.conftest import AS_OF, TEST_CONFIG
from tests.fixtures.warehouse_rows import RECORDED as RECORDED_ROWS
from tests.fixtures.warehouse_rows import differences, table_digests

pytestmark = pytest.mark.e2e

MONTHS = ["2025-06", "2025-07"]  # either side of the province merger
PERSONAL_COLUMN = re.compile(r"(chu_?ho_?so|so_?giay_?to|dien_?thoai|phone|dia_?chi|address|applicant_name|id_number)", re.I)
REPO = Path(__file__).resolve().parents[2]


def settings_for(home: Path):
    return load_settings({"DVC_INDEX_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")})


CANARY_TOKEN = "canary-PORTAL-TOKEN-e2e-7c41"
EARLY = datetime(2025, 8, 3, 10, 0, tzinfo=timezone(timedelta(hours=7)))  # July's records before late syncs


@pytest.fixture(scope="module")
def warehouse_run(portal_data, tmp_path_factory):
    """June, then July as the portal had it on 3/8/2025 (release v1), then July again once the portal has every late
    sync (the month is restated: v2), then July once more on the same data (idempotent: still v2). Every request
    carries a canary PORTAL_TOKEN that the simulator requires."""
    home = tmp_path_factory.mktemp("home")
    settings = settings_for(home)
    saved = os.environ.get("PORTAL_TOKEN")
    os.environ["PORTAL_TOKEN"] = CANARY_TOKEN
    try:
        with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF, token=CANARY_TOKEN) as sim:
            first = run_months(MONTHS[:1], portal_url=sim.url, settings=settings)
        published_before = published_rankings(settings.duckdb_path, MONTHS[0])
        with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=EARLY, token=CANARY_TOKEN) as sim:
            early = run_months(MONTHS[1:], portal_url=sim.url, settings=settings)
        with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF, token=CANARY_TOKEN) as sim:
            first += run_months(MONTHS[1:], portal_url=sim.url, settings=settings)
            snapshot = warehouse_snapshot(settings.duckdb_path)
            rerun = run_months(MONTHS[-1:], portal_url=sim.url, settings=settings)
    finally:
        if saved is None:
            os.environ.pop("PORTAL_TOKEN", None)
        else:
            os.environ["PORTAL_TOKEN"] = saved
    return {
        "settings": settings,
        "first": first,
        "early": early,
        "rerun": rerun,
        "snapshot": snapshot,
        "published_before": published_before,
    }


def published_rankings(path: Path, month: str) -> list[tuple]:
    """A month's published ranking: what must not change when later months are built."""
    with connect(path) as con:
        return con.execute(
            "select unit_id, peer_group, peer_group_unit_id, total_points, band_code, is_ranked, competition_rank, "
            "dense_rank, listing_order from marts.rpt_rankings where period_type = 'month' and period_start = ? "
            "order by unit_id",
            [f"{month}-01"],
        ).fetchall()


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def user_tables(con) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2"
    ).fetchall()


def warehouse_snapshot(path: Path) -> dict[str, list]:
    """Every staging table's rows, less the columns that name the extraction."""
    with connect(path) as con:
        snap = {}
        for schema, table in user_tables(con):
            if schema != "staging":
                continue
            cols = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if "extracted_at" not in c and c not in {"detected_at", "loaded_at", "_loaded_at"}
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            snap[f"{schema}.{table}"] = sorted(
                con.execute(f'select {select} from "{schema}"."{table}"').fetchall(), key=repr
            )
        return snap


def test_each_month_lands_every_feed_with_a_manifest(warehouse_run):
    raw = warehouse_run["settings"].raw_dir
    for month in MONTHS:
        for dataset in FEEDS:
            extractions = list_extractions(raw, dataset, month)
            expected = 3 if month == MONTHS[-1] else 1  # July: early, restated, and the idempotent rerun
            assert len(extractions) == expected, (dataset, month)
            manifest = json.loads((extractions[0] / "manifest.json").read_text())
            assert manifest["dataset"] == dataset and manifest["period"] == month
            assert manifest["distinct_keys"] == manifest["total_reported"]
            assert (raw / dataset_dir_name(dataset) / f"period={month}").is_dir()


def test_staging_has_a_table_per_feed_with_both_months(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        tables = {t for s, t in user_tables(con) if s == "staging"}
        for dataset in FEEDS:
            name = f"stg_portal__{dataset_dir_name(dataset)}"
            assert name in tables
            periods = {str(p)[:7] for (p,) in con.execute(f"select distinct period from staging.{name}").fetchall()}
            history = {p for month in MONTHS for p in context_periods(dataset, month)}
            assert periods == set(MONTHS) | history, name


def test_quarantine_holds_exactly_the_injected_defects(warehouse_run, portal_data):
    expected = set()
    raw = warehouse_run["settings"].raw_dir
    for dataset in FEEDS:
        for month in sorted(p.name.removeprefix("period=") for p in (raw / dataset_dir_name(dataset)).glob("period=*")):
            defects = portal_data.feed(dataset, month, AS_OF).defects()
            for row in defects.itertuples():
                expected.add((dataset_dir_name(dataset), month, row.record_key, row.defect))
    assert expected, "the simulator should have injected defects at this rate"
    with connect(warehouse_run["settings"].duckdb_path) as con:
        rows = con.execute(
            "select dataset, period, record_key, reason from staging.stg_portal__quarantine"
        ).fetchall()
    got = {(dataset_dir_name(d), str(p)[:7], k, r) for d, p, k, r in rows}
    assert got == expected


def test_no_personal_data_column_or_value_beyond_staging(warehouse_run, portal_data):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        offending = [c for c in columns if PERSONAL_COLUMN.search(c[2])]
        assert offending == []
        dossiers = portal_data.feed("dossiers", MONTHS[-1], AS_OF).rows(0, 200)
        seeded = {d[f] for d in dossiers for f in ("SoGiayToChuHoSo", "SoDienThoai", "ChuHoSo") if d.get(f)}
        assert len(seeded) > 100
        for schema, table, column, dtype in columns:
            if dtype.upper() not in {"VARCHAR", "TEXT"}:
                continue
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in (select unnest(?))',
                [sorted(seeded)],
            ).fetchone()[0]
            assert hits == 0, f"personal data in {schema}.{table}.{column}"


def test_running_a_month_again_is_idempotent(warehouse_run):
    assert warehouse_snapshot(warehouse_run["settings"].duckdb_path) == warehouse_run["snapshot"]


def test_every_table_has_the_rows_of_the_recorded_build(warehouse_run):
    """The same rows as the build recorded before a change of design (tests/fixtures/warehouse_rows.py): every
    staging table and view, intermediate model and mart of June and July, table by table, an order-independent
    digest of the rows beside their count. Issue 15 recorded it before the dossier's lists moved onto its row."""
    recorded = json.loads(RECORDED_ROWS.read_text(encoding="utf-8"))
    built = table_digests(warehouse_run["settings"].duckdb_path, recorded)
    assert differences(recorded, built) == []


def test_cli_runs_a_month_on_the_embedded_simulator(tmp_path):
    env = {**os.environ, "DVC_INDEX_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    for inherited in ("PORTAL_BASE_URL", "DUCKDB_PATH", "PORTAL_TOKEN"):
        env.pop(inherited, None)
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--month", "2025-07", "--scale", "tiny"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "embedded simulator" in proc.stderr
    assert "2025-07" in proc.stdout and "raw/dossiers" in proc.stdout
    assert (tmp_path / "warehouse.duckdb").exists()
    # progress, stage by stage, and nothing of the libraries' start-up or dbt's line per node (-v shows them)
    err = proc.stderr
    assert re.search(r"^\d\d:\d\d:\d\d extract dossiers 2025-07: [\d,]+ of [\d,]+ records", err, re.M), err[-3000:]
    assert re.search(r"^\d\d:\d\d:\d\d extract report-counts 2025-07: [\d,]+ of [\d,]+ records \([\d,]+/s\)$", err, re.M)
    assert re.search(r"dbt 2025-07: (\d+) of \1 dbt nodes done \(\d+ models, \d+ seeds, \d+ tests\) in \d+ s", err)
    assert "gate 2025-07: staging_schema passed (1 of 12)" in err and "gate 2025-07: passed, quality report" in err
    assert "release 2025-07: v1 published at" in err
    # (dagster-dbt still warns once of the Wilson interval's hand-value test, which reads no model to attach it to)
    observed = set(re.findall(r"instead of an `AssetCheckResult` for dbt test `(\w+)`", err))
    assert observed <= {"assert_wilson_interval_matches_hand_values"}, observed
    for noise in ("alembic", "great_expectations", "BackfillPolic", " START sql", "Running with dbt="):
        assert noise not in err, f"{noise!r} in the run's output:\n{err[-3000:]}"


def test_cli_fails_clearly_on_a_rejected_token_and_never_prints_it(portal_data, tmp_path):
    canary = "canary-PORTAL-TOKEN-0d6f2b"
    env = {**os.environ, "DVC_INDEX_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster"),
           "PORTAL_TOKEN": canary}
    env.pop("DUCKDB_PATH", None)
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF, token="the-right-token") as sim:
        proc = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "run", "--month", "2025-07", "--portal-url", sim.url],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )
    assert proc.returncode == 1
    assert "HTTP 401" in proc.stderr and "/api/v1/sync/" in proc.stderr
    assert canary not in proc.stdout + proc.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), f"token leaked into {path}"


def test_our_points_from_records_agree_with_the_portals_published_points(warehouse_run):
    """Two independent implementations of the method: the simulator's and the warehouse's."""
    with connect(warehouse_run["settings"].duckdb_path) as con:
        rows = con.execute(
            "select period_start, criterion_code, count(*) as units, "
            "max(abs(coalesce(records_minus_published, records_minus_portal_inputs))) as worst "
            "from marts.rpt_reconciliation where period_type = 'month' group by all"
        ).fetchall()
        missing = con.execute(
            "select count(*) from marts.rpt_reconciliation where points_from_records is null"
        ).fetchone()[0]
    assert {str(p)[:7] for p, *_ in rows} == set(MONTHS)
    disagreements = [(str(p)[:7], c, n, w) for p, c, n, w in rows if w is None or w > 0.015]
    assert disagreements == []
    assert missing == 0


def test_the_portals_own_inputs_reproduce_its_published_points_where_the_rule_is_confirmed_or_fitted(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        bad = con.execute(
            "select criterion_code, count(*) from marts.rpt_reconciliation "
            "where rule_status in ('confirmed', 'fitted') and published_points is not null "
            "and abs(portal_inputs_minus_published) > 0.015 group by 1"
        ).fetchall()
        unmatched = con.execute(
            "select count(*) from marts.rpt_reconciliation where unit_match = 'unmatched'"
        ).fetchone()[0]
    assert bad == []
    assert unmatched == 0


def test_group_points_sum_to_totals_for_every_unit_and_period(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        broken = con.execute(
            "select count(*) from marts.fct_unit_scores where total_points <> "
            "ckmb_points + tdgq_points + clgq_points + tttt_points + mdsh_points + mdhl_points"
        ).fetchone()[0]
        periods = con.execute("select distinct period_type from marts.fct_unit_scores").fetchall()
    assert broken == 0
    assert {p for (p,) in periods} == {"month", "quarter", "year"}


def test_june_ranking_of_63_provinces_is_unchanged_by_july(warehouse_run):
    after = published_rankings(warehouse_run["settings"].duckdb_path, MONTHS[0])
    assert after == warehouse_run["published_before"]
    provinces = [row for row in after if row[1] == "provinces"]
    assert len(provinces) == 63
    assert sorted(row[6] for row in provinces if row[5])[0] == 1


def test_july_ranks_34_provinces_each_with_a_previous_value_from_its_predecessors(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        rows = con.execute(
            "select r.unit_id, r.previous_basis, r.previous_total_points, r.previous_competition_rank, u.valid_from "
            "from marts.rpt_rankings r join marts.dim_units u using (unit_id) "
            "where r.period_type = 'month' and r.period_start = '2025-07-01' and r.peer_group = 'provinces'"
        ).fetchall()
        assert len(rows) == 34
        assert all(previous is not None and rank is not None for _, _, previous, rank, _ in rows)
        merged = {unit for unit, basis, _, _, valid_from in rows if str(valid_from) == "2025-07-01"}
        assert merged and {unit for unit, basis, *_ in rows if basis == "predecessors"} == merged
        # Previous ranks are a ranking of the 34: competition ranks from 1.
        assert min(rank for _, _, _, rank, _ in rows) == 1
        # Recomputed from records, never averaged: each additive count of a merged province in June is the sum of
        # the counts of the provinces merged into it.
        mismatches = con.execute(
            """
            with predecessors as (
                select u.successor_unit_id as unit_id, sum(v.numerator) as numerator, sum(v.denominator) as denominator
                from marts.fct_criterion_values v join marts.dim_units u using (unit_id)
                where v.input_source = 'records' and v.period_type = 'month' and v.period_start = '2025-06-01'
                    and v.criterion_code = 'ONLINE_DOSSIER_SUBMISSION' and u.unit_type = 'province'
                    and u.successor_unit_id is not null
                group by 1
            )
            select c.unit_id, c.numerator, c.denominator, p.numerator, p.denominator
            from marts.fct_criterion_values c join predecessors p using (unit_id)
            where c.input_source = 'records_comparable' and c.period_type = 'month'
                and c.period_start = '2025-06-01' and c.criterion_code = 'ONLINE_DOSSIER_SUBMISSION'
                and (c.numerator <> p.numerator or c.denominator <> p.denominator)
            """
        ).fetchall()
        compared = con.execute(
            "select count(*) from marts.fct_criterion_values where input_source = 'records_comparable' "
            "and period_start = '2025-06-01' and period_type = 'month' and criterion_code = 'ONLINE_DOSSIER_SUBMISSION'"
        ).fetchone()[0]
    assert compared >= len(merged) and mismatches == []


def test_ties_share_a_competition_rank_and_dense_ranks_do_not_skip(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        wrong = con.execute(
            """
            select a.period_type, a.period_start, a.unit_id
            from marts.rpt_rankings a
            where a.is_ranked and (
                a.competition_rank <> 1 + (
                    select count(*) from marts.rpt_rankings b
                    where b.is_ranked and b.period_type = a.period_type and b.period_start = a.period_start
                        and b.peer_group = a.peer_group
                        and b.peer_group_unit_id is not distinct from a.peer_group_unit_id
                        and b.total_points > a.total_points)
                or a.dense_rank <> 1 + (
                    select count(distinct b.total_points) from marts.rpt_rankings b
                    where b.is_ranked and b.period_type = a.period_type and b.period_start = a.period_start
                        and b.peer_group = a.peer_group
                        and b.peer_group_unit_id is not distinct from a.peer_group_unit_id
                        and b.total_points > a.total_points))
            """
        ).fetchall()
        ties = con.execute(
            "select count(*) from (select 1 from marts.rpt_rankings where is_ranked "
            "group by period_type, period_start, peer_group, peer_group_unit_id, total_points having count(*) > 1)"
        ).fetchone()[0]
    assert wrong == []
    assert ties > 0, "communes at tiny scale tie often; a run without ties would not test them"


def test_score_changes_sum_to_the_change_of_the_total_for_every_unit(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        rows = con.execute(
            """
            select s.period_type, s.period_start, s.unit_id, sum(s.points_change), any_value(r.points_change),
                bool_and(s.numerator_effect + s.denominator_effect + s.other_effect = s.points_change)
            from marts.rpt_score_changes s
            join marts.rpt_rankings r using (period_type, period_start, unit_id)
            group by all
            """
        ).fetchall()
    assert len(rows) > 3000
    assert [row for row in rows if row[3] != row[4] or not row[5]] == []


def test_ministries_and_provinces_carry_rank_intervals_containing_their_rank_mostly(warehouse_run):
    with connect(warehouse_run["settings"].duckdb_path) as con:
        rows = con.execute(
            "select peer_group, competition_rank, rank_interval_low, rank_interval_high from marts.rpt_rankings "
            "where is_ranked and period_type = 'month' and peer_group in ('ministries', 'provinces')"
        ).fetchall()
        others = con.execute(
            "select count(*) from marts.rpt_rankings where rank_interval_low is not null "
            "and peer_group not in ('ministries', 'provinces')"
        ).fetchone()[0]
    assert rows and all(low is not None and low <= high for _, _, low, high in rows)
    inside = sum(low <= rank <= high for _, rank, low, high in rows)
    assert inside / len(rows) >= 0.9
    assert others == 0


# ---- quality gate and releases ------------------------------------------------------------------------------


def release_tree(releases: Path) -> dict[str, bytes]:
    return {str(p.relative_to(releases)): p.read_bytes() for p in sorted(releases.rglob("*")) if p.is_file()}


def test_every_month_is_published_after_its_gate_passed(warehouse_run):
    settings = warehouse_run["settings"]
    releases = settings.releases_dir
    assert (releases / "2025-06" / "CURRENT").read_text().strip() == "v1"
    assert (releases / "2025-07" / "CURRENT").read_text().strip() == "v2"
    for month, version in (("2025-06", 1), ("2025-07", 1), ("2025-07", 2)):
        folder = releases / month / f"v{version}"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["month"] == month and manifest["version"] == version
        assert manifest["checks"] and all(c["passed"] for c in manifest["checks"] if c["blocking"])
        assert (folder / "report.html").read_text(encoding="utf-8").count("Bộ chỉ số phục vụ người dân") >= 1
        assert (folder / "quality" / "index.html").is_file() and (folder / "quality" / "gate.json").is_file()
        assert (folder / "csv" / "rpt_rankings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
        with duckdb.connect(str(folder / "published.duckdb"), read_only=True) as con:
            provinces = con.execute(
                "select count(*) from marts.rpt_rankings where peer_group = 'provinces'"
            ).fetchone()[0]
        assert provinces == (63 if month == "2025-06" else 34)
    summary = warehouse_run["first"][-1].render()
    assert "release v2" in summary and "report.html" in summary and "published.duckdb" in summary


def test_a_restated_month_is_v2_with_a_diff_and_v1_stays_readable(warehouse_run):
    releases = warehouse_run["settings"].releases_dir / "2025-07"
    diff = json.loads((releases / "v2" / "diff.json").read_text())
    assert diff and json.dumps(diff).count("unit_id") > 0
    with duckdb.connect(str(releases / "v1" / "published.duckdb"), read_only=True) as v1, duckdb.connect(
        str(releases / "v2" / "published.duckdb"), read_only=True
    ) as v2:
        before = dict(v1.execute("select unit_id, total_points from marts.rpt_rankings").fetchall())
        after = dict(v2.execute("select unit_id, total_points from marts.rpt_rankings").fetchall())
        restated = {u for (u,) in v2.execute("select unit_id from marts.rpt_rankings where is_restated").fetchall()}
    changed = {u for u in after if u in before and before[u] != after[u]}
    assert changed, "the late syncs should change some July totals"
    assert restated == changed


def test_publishing_identical_data_again_keeps_the_version(warehouse_run):
    assert warehouse_run["rerun"][-1].release["status"] == "unchanged"
    assert warehouse_run["rerun"][-1].release["version"] == 2
    assert not (warehouse_run["settings"].releases_dir / "2025-07" / "v3").exists()


def test_the_canary_token_is_in_no_file_the_runs_wrote(warehouse_run):
    home = warehouse_run["settings"].home
    leaks = [p for p in home.rglob("*") if p.is_file() and CANARY_TOKEN.encode() in p.read_bytes()]
    assert leaks == []
    assert (home / "dagster").is_dir() and (home / "quality").is_dir() and (home / "releases").is_dir()


def test_no_release_file_contains_personal_data(warehouse_run, portal_data):
    seeded = set()
    for month in MONTHS:
        feed = portal_data.feed("dossiers", month, AS_OF)
        for d in feed.rows(0, min(feed.total, 2000)):
            seeded |= {d[f] for f in ("SoGiayToChuHoSo", "SoDienThoai", "ChuHoSo", "DiaChiChuHoSo") if d.get(f)}
    assert len(seeded) > 500
    needles = [value.encode("utf-8") for value in seeded if len(value) >= 6]
    for path in warehouse_run["settings"].releases_dir.rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json", ".html"}:
            content = path.read_bytes()
            assert not [n for n in needles if n in content], f"personal data in {path}"


def test_a_release_is_reproduced_from_the_raw_files_its_manifest_names(warehouse_run, tmp_path):
    from orchestration.publication import reproduce
    from orchestration.publication.rebuild import rebuild_warehouse

    settings = warehouse_run["settings"]
    for version in (1, 2):
        result = reproduce(
            "2025-07", version, rebuild_warehouse, releases_dir=settings.releases_dir, raw_dir=settings.raw_dir,
            work_dir=tmp_path,
        )
        assert result.ok, (version, result)
        assert result.outputs_compared >= 7


def test_a_bad_mart_blocks_publication_and_leaves_every_release_as_it_was(warehouse_run, tmp_path, monkeypatch):
    import shutil

    import dagster as dg

    from orchestration.assets.publication import monthly_release
    from orchestration.assets.quality import quality_gate

    source = warehouse_run["settings"]
    home = tmp_path / "home"
    shutil.copytree(source.home / "releases", home / "releases", symlinks=True)
    (home / "raw").symlink_to(source.raw_dir)
    shutil.copyfile(source.duckdb_path, home / "warehouse.duckdb")
    monkeypatch.setenv("DVC_INDEX_HOME", str(home))
    monkeypatch.setenv("DUCKDB_PATH", str(home / "warehouse.duckdb"))
    before = release_tree(home / "releases")
    for fault in (
        "update marts.fct_criterion_values set points = max_points + 5 "
        "where unit_id = (select min(unit_id) from marts.fct_criterion_values where period_start = '2025-07-01') "
        "and period_start = '2025-07-01' and criterion_code = 'DOSSIER_ON_TIME' and input_source = 'records'",
        "insert into marts.fct_unit_scores select * from marts.fct_unit_scores "
        "where period_start = '2025-07-01' and input_source = 'records' limit 1",
    ):
        shutil.copyfile(source.duckdb_path, home / "warehouse.duckdb")
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            con.execute(fault)
        result = dg.materialize(
            [quality_gate, monthly_release], partition_key="2025-07", raise_on_error=False,
            instance=dg.DagsterInstance.ephemeral(),
        )
        assert not result.success
        gate = [e for e in result.get_asset_check_evaluations() if e.check_name == "passed"]
        assert gate and not gate[0].passed
        assert "release/monthly" not in {
            e.event_specific_data.materialization.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()
        }
        assert release_tree(home / "releases") == before


@pytest.mark.timeout(300)
def test_a_release_copied_to_a_machine_without_network_opens_every_page(warehouse_run, tmp_path):
    """The release folder as a reviewer gets it (copied elsewhere): its report and its quality report open fully in
    Chromium with the network off, and the audit that published it found nothing that loads from the network."""
    from orchestration.publication.offline import network_loads
    from tests.browser import offline_page, screenshot

    folder = warehouse_run["settings"].releases_dir / "2025-07" / "v2"
    copy = shutil.copytree(folder, tmp_path / "usb" / "2025-07-v2")
    assert network_loads(copy) == []
    pages = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*.html"))
    assert pages == ["quality/index.html", "report.html"]
    with offline_page(tmp_path) as (page, log):
        page.goto((copy / "report.html").as_uri(), wait_until="load")
        assert page.title() == "Bộ chỉ số phục vụ người dân, doanh nghiệp — tháng 07/2025"
        for selector in ("table[data-peer-group=provinces]", "svg[data-chart=ranking]"):
            box = page.locator(selector).bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0, selector
        page.goto((copy / "quality" / "index.html").as_uri(), wait_until="load")
        assert page.title() == "Báo cáo chất lượng dữ liệu — tháng 07/2025"
        assert page.locator("#ket-luan").get_attribute("data-passed") == "true"
        assert page.locator("section[data-suite]").count() == 12
        screenshot(page, "release-quality-2025-07.png")
    log.assert_clean()
    assert log.requested == [(copy / "report.html").as_uri(), (copy / "quality" / "index.html").as_uri()]


def test_a_mart_that_breaks_its_contract_fails_the_build_and_changes_nothing(warehouse_run, tmp_path):
    """A change that makes fct_unit_scores.total_points text instead of decimal(6, 2): dbt refuses it under the
    enforced contract, with its own message naming the column and both types, before writing anything; the
    mart's previous rows and the month's release stay exactly as they were. (On a copy of the home and of the
    dbt project, so the other tests keep theirs.)"""
    from orchestration.build_window import dbt_build_args, dbt_window_env
    from orchestration.settings import DBT_PROJECT_DIR
    from tests.extraction.helpers import tree_digest

    home = tmp_path / "home"
    source = warehouse_run["settings"]
    home.mkdir()
    shutil.copy(source.duckdb_path, home / "warehouse.duckdb")
    shutil.copytree(source.releases_dir, home / "releases", symlinks=True)
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    model = project / "models" / "marts" / "fct_unit_scores.sql"
    text = model.read_text(encoding="utf-8")
    broken = text.replace("cast(group_points.total_points as decimal(6, 2)) as total_points",
                          "cast(group_points.total_points as varchar) as total_points")
    assert broken != text
    model.write_text(broken, encoding="utf-8")

    def mart() -> tuple:
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            column = con.execute(
                "select data_type from information_schema.columns where table_schema = 'marts' "
                "and table_name = 'fct_unit_scores' and column_name = 'total_points'"
            ).fetchone()
            rows = con.execute("select count(*), sum(hash(columns(*))) from marts.fct_unit_scores").fetchone()
        return column, rows

    before, releases_before = mart(), tree_digest(home / "releases")
    env = {**os.environ, "DVC_INDEX_HOME": str(home), "DUCKDB_PATH": str(home / "warehouse.duckdb"),
           **dbt_window_env(MONTHS[-1], MONTHS[-1])}
    env.pop("PORTAL_TOKEN", None)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *dbt_build_args(), "--select", "fct_unit_scores",
         "--project-dir", str(project), "--profiles-dir", str(project), "--target-path", str(tmp_path / "target")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-3000:]
    assert "contract" in out.lower() and "total_points" in out, out[-3000:]
    assert re.search(r"total_points\s*\|\s*(VARCHAR|TEXT)\s*\|\s*DECIMAL\(6,\s*2\)", out, re.I), out[-3000:]
    assert mart() == before and before[0] == ("DECIMAL(6,2)",)
    assert tree_digest(home / "releases") == releases_before
