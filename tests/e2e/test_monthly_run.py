"""End to end: `run_months` and the `dvc-index` command against the simulator over real HTTP, then dbt."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.history import context_periods
from orchestration.landing import FEEDS, dataset_dir_name, list_extractions
from orchestration.pipeline import run_months
from orchestration.portal.simulator.server import PortalSimulator
from orchestration.settings import load_settings
from tests.conftest import AS_OF, TEST_CONFIG

pytestmark = pytest.mark.e2e

MONTHS = ["2025-06", "2025-07"]  # either side of the province merger
PERSONAL_COLUMN = re.compile(r"(chu_?ho_?so|so_?giay_?to|dien_?thoai|phone|dia_?chi|address|applicant_name|id_number)", re.I)
REPO = Path(__file__).resolve().parents[2]


def settings_for(home: Path):
    return load_settings({"DVC_INDEX_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")})


@pytest.fixture(scope="module")
def warehouse_run(portal_data, tmp_path_factory):
    """Two months run once for the whole module, then the second month run again."""
    home = tmp_path_factory.mktemp("home")
    settings = settings_for(home)
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF) as sim:
        first = run_months(MONTHS, portal_url=sim.url, settings=settings)
        snapshot = warehouse_snapshot(settings.duckdb_path)
        rerun = run_months(MONTHS[-1:], portal_url=sim.url, settings=settings)
    return {"settings": settings, "first": first, "rerun": rerun, "snapshot": snapshot}


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
            expected = 2 if month == MONTHS[-1] else 1
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
            "from marts.rpt_reconciliation group by all"
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
