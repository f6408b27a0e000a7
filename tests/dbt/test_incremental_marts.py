"""Incremental builds by period give exactly the warehouse that rebuilding every period gives.

Two warehouses are built from the same raw landing zone (the tiny simulator, June and July 2025: either side of
the province merger, so July's ranking reads June's values recomputed over the merged provinces'
predecessors), after each landing step:

- `incremental.duckdb`, as a month's run builds it: dbt with the month's window (period_from / period_to, from
  orchestration.build_window, in the environment as the pipeline passes it), so the intermediate models and marts recompute only the periods from that month on
  and the comparable rows of the period before;
- `everything.duckdb`, as the warehouse was built before models were incremental: dbt without a window, which
  recomputes every period (the revisions history still appends, as it always has).

Steps: June lands and both build; July lands and both build; June is restated with an extraction that has no
dossier at all, and June is rebuilt (so June's month and quarter must be emptied, and July recomputed without a
previous value). After the July and restatement steps every row of every intermediate and marts table must be
the same in both (fct_unit_score_revisions.recorded_at aside: the time of the build). A new month's window keeps
the project's partial parse: only the first build of each warehouse parses the whole project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.build_window import build_window, dbt_window_env
from orchestration.evaluation_landing import EvaluationExtractor
from orchestration.landing import FEEDS, FeedExtractor
from orchestration.portal.client import PortalClient
from orchestration.portal.simulator.server import PortalSimulator
from tests.conftest import AS_OF, TEST_CONFIG
from tests.fixtures.raw_builder import write_raw

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
JUNE, JULY = "2025-06", "2025-07"
RESTATED_JUNE = "20991231T000000000000Z"  # later than any real extraction id: the latest wins
SCHEMAS = ("intermediate", "marts")
RUN_TIME_COLUMNS = {"recorded_at"}  # fct_unit_score_revisions: when the build ran
SENTINEL = "SENTINEL.UNIT"
QUARANTINED_DOSSIER = {"MaHoSo": None, "MaTTHC": "1.000656", "MaDonViXuLy": "000.00.00.H25", "NgayTiepNhan": "20250602080000"}


def land_month(client: PortalClient, raw_dir: Path, month: str, *, evaluation: bool) -> None:
    """Every feed of the month (not the history before June that a month's run also lands: the two builds read
    the same raw either way, and landing it would double the test's time)."""
    feeds = FeedExtractor(client, raw_dir)
    for dataset in FEEDS:
        feeds.extract(dataset, month)
    if evaluation:
        EvaluationExtractor(client, raw_dir).extract(month)


FULL_PARSE = "Unable to do partial parsing"  # what dbt logs when it parses the whole project again


def run_dbt(home: Path, warehouse: Path, window: tuple[str, str] | None = None) -> str:
    """dbt build of the models and seeds (the data tests change nothing and are left out, to keep this fast), with
    the window as the monthly run passes it; returns dbt's output."""
    env = {**os.environ, "DVC_INDEX_HOME": str(home), "DUCKDB_PATH": str(warehouse)}
    env.update(dbt_window_env(*window) if window else {})
    env.pop("DVC_INDEX_PSEUDONYM_SALT", None)
    env.pop("PORTAL_TOKEN", None)
    command = [
        str(DBT), "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        # a target folder per warehouse: each keeps its own partial parse
        "--target-path", str(home / f"target_{warehouse.stem}"), "--log-path", str(home / "logs"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout


def build_both(home: Path, month: str, parses: list[bool] | None = None) -> tuple[str, str]:
    """Build the month into both warehouses; returns the incremental build's window. Appends to `parses` whether
    the incremental build parsed the whole project."""
    incremental, everything = home / "incremental.duckdb", home / "everything.duckdb"
    period_from, period_to = build_window(month, month, home / "raw", incremental)
    output = run_dbt(home, incremental, (period_from, period_to))
    if parses is not None:
        parses.append(FULL_PARSE in output)
    run_dbt(home, everything)
    return period_from, period_to


def warehouse_tables(path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ? order by all",
            [list(SCHEMAS)],
        ).fetchall()


def differences(left: Path, right: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows, rows only in left, rows only in right), comparing whole rows as multisets."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as lhs (read_only)")
    con.execute(f"attach '{right}' as rhs (read_only)")
    found = {}
    for schema, table in warehouse_tables(left):
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'lhs' and schema_name = ? "
                "and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
            if name not in RUN_TIME_COLUMNS
        ]
        select = ", ".join(f'"{name}"' for name in columns)
        only = [
            con.execute(
                f"select count(*) from (select {select} from {a}.{schema}.{table} "
                f"except all select {select} from {b}.{schema}.{table})"
            ).fetchone()[0]
            for a, b in (("lhs", "rhs"), ("rhs", "lhs"))
        ]
        rows = con.execute(f"select count(*) from lhs.{schema}.{table}").fetchone()[0]
        found[f"{schema}.{table}"] = (rows, *only)
    con.close()
    return found


def scalar(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def plant_sentinels(path: Path) -> None:
    """Rows of an unknown unit that no build produces: June's own value (not rebuilt with July, must stay) and
    June's comparable value and July's (rebuilt with July, must go)."""
    with duckdb.connect(str(path)) as con:
        for period_start, source in (("2025-06-01", "records"), ("2025-06-01", "records_comparable"),
                                     ("2025-07-01", "records")):
            con.execute(
                "insert into marts.fct_criterion_values by name "
                "select ? as unit_id, 'month' as period_type, cast(? as date) as period_start, "
                "criterion_code, group_code, rule_version, 0.0 as points, max_points, 'scored' as value_state, "
                "? as input_source from marts.fct_criterion_values limit 1",
                [SENTINEL, period_start, source],
            )


def sentinels_left(path: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select strftime(period_start, '%Y-%m'), input_source from marts.fct_criterion_values where unit_id = ?",
            [SENTINEL],
        ).fetchall()
    return set(rows)


def remove_sentinels(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("delete from marts.fct_criterion_values where unit_id = ?", [SENTINEL])


@pytest.fixture(scope="module")
def built(portal_data, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("incremental")
    raw_dir = home / "raw"
    incremental = home / "incremental.duckdb"
    outcome: dict = {"home": home, "full_parses": []}
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF) as sim, PortalClient(sim.url) as client:
        land_month(client, raw_dir, JUNE, evaluation=False)
        build_both(home, JUNE)
        plant_sentinels(incremental)
        land_month(client, raw_dir, JULY, evaluation=True)
    outcome["july_window"] = build_both(home, JULY, outcome["full_parses"])
    outcome["sentinels_after_july"] = sentinels_left(incremental)
    remove_sentinels(incremental)
    outcome["after_july"] = differences(incremental, home / "everything.duckdb")
    outcome["july_comparable_rows"] = scalar(
        incremental, "select count(*) from marts.fct_unit_scores where input_source = 'records_comparable' "
        "and period_start = date '2025-06-01' and period_type = 'month'"
    )
    # June again, its one dossier quarantined (no MaHoSo): June has no dossier in staging any more
    write_raw(home, "dossiers", JUNE, RESTATED_JUNE, [QUARANTINED_DOSSIER], ["MaHoSo"])
    outcome["restated_window"] = build_both(home, JUNE, outcome["full_parses"])
    outcome["after_restatement"] = differences(incremental, home / "everything.duckdb")
    return outcome


def test_july_builds_only_its_own_window(built):
    assert built["july_window"] == (JULY, JULY)
    # June's own row is not rebuilt with July; June's comparable row (July's structure) and July's are
    assert built["sentinels_after_july"] == {(JUNE, "records")}


def test_a_new_months_window_keeps_the_partial_parse(built):
    # July after June, then June again: the window changed each time, and dbt parsed only what had changed
    assert built["full_parses"] == [False, False]


def test_month_by_month_equals_rebuilding_every_period(built):
    found = built["after_july"]
    assert {"marts.rpt_rankings", "marts.rpt_rank_intervals", "intermediate.int_unit_scope_comparable"} <= set(found)
    assert {table: counts for table, counts in found.items() if counts[1] or counts[2]} == {}
    # the comparison covers what the incremental build must get right: the merger's comparable values of June,
    # rank intervals, score changes, the portal's published inputs
    assert built["july_comparable_rows"] > 0
    for table in ("marts.rpt_rank_intervals", "marts.rpt_score_changes", "marts.rpt_reconciliation",
                  "intermediate.int_unit_scope_comparable", "marts.fct_unit_score_revisions"):
        assert found[table][0] > 0, table


def test_restating_an_earlier_month_empties_it_and_recomputes_the_months_after(built):
    assert built["restated_window"] == (JUNE, JUNE)
    found = built["after_restatement"]
    assert {table: counts for table, counts in found.items() if counts[1] or counts[2]} == {}
    incremental = built["home"] / "incremental.duckdb"
    # June has no dossier any more: its month and quarter are gone, July has no previous value
    assert scalar(incremental, "select count(*) from marts.fct_unit_scores where period_start = date '2025-06-01'") == 0
    assert scalar(incremental, "select count(*) from marts.fct_unit_scores where period_type = 'quarter' "
                  "and period_start = date '2025-04-01'") == 0
    assert scalar(incremental, "select count(*) from marts.rpt_rankings where period_start = date '2025-07-01' "
                  "and previous_total_points is not null") == 0
    assert scalar(incremental, "select count(*) from marts.rpt_rankings where period_start = date '2025-07-01'") > 0
