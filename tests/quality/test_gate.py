"""The gate on a hand-made warehouse (tests/quality/warehouse_builder.py): clean, and with injected faults.

Each fault test copies the clean warehouse, breaks one thing with SQL, runs the whole gate and asserts the exact
set of failed checks and the message that names what is wrong and where. Expected values are worked out from
the builder's plan: e.g. ministry M02's groups sum to 48.76 (48.75 spread over the six groups, each rounded).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.quality import QualityConfig, run_quality_gate
from orchestration.quality.definitions import load_gate
from tests.quality.contract_marts import add_contract_marts
from tests.quality.warehouse_builder import GATE_MONTH, build_warehouse

CANARY = "canary-PORTAL-TOKEN-7f3a91"
REPO = Path(__file__).resolve().parents[2]
JULY = "period_type = 'month' and period_start = date '2025-07-01'"


@pytest.fixture(scope="session")
def clean_warehouse(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("clean") / "warehouse.duckdb")


@pytest.fixture
def warehouse(clean_warehouse, tmp_path) -> Path:
    """A private copy of the clean warehouse, to break."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(clean_warehouse, copy)
    return copy


def execute(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)


def gate(path: Path, tmp_path: Path, month: str = GATE_MONTH, **config):
    return run_quality_gate(path, month, config=QualityConfig(**config), quality_dir=tmp_path / "quality")


def failed(result) -> dict[str, str]:
    return {c.check: c.message for c in result.failed_checks}


@pytest.fixture(scope="module")
def clean_result(clean_warehouse, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTAL_TOKEN", CANARY)
        return gate(clean_warehouse, tmp_path_factory.mktemp("clean_run"))


def test_a_clean_warehouse_passes_and_shows_the_planted_anomalies_as_warnings(clean_result):
    assert clean_result.passed, clean_result.render()
    assert clean_result.failed_checks == []
    assert {c.check for c in clean_result.warnings} == {"anomalies.points_change", "anomalies.dossier_volume"}
    anomalies = {
        (r.kind, r.unit_id, r.previous_value, r.value, r.change) for r in clean_result.anomalies.itertuples()
    }
    assert anomalies == {("points", "M01", 50.0, 70.0, 20.0), ("volume", "MU1", 40, 150, 3.75)}
    warnings = {c.check: c.message for c in clean_result.warnings}
    assert "unit M01 (Bộ số 1): total points 50 -> 70 (+20.00)" in warnings["anomalies.points_change"]
    assert "unit MU1 (Cục số 1): dossiers received 40 -> 150 (x3.75)" in warnings["anomalies.dossier_volume"]
    # Every expectation of every suite ran.
    suites = sorted((REPO / "expectations" / "suites").glob("*.json"))
    assert len(clean_result.checks) == sum(len(json.loads(p.read_text())["expectations"]) for p in suites)


def test_the_page_results_and_summary_are_written_for_the_run(clean_result):
    index = clean_result.data_docs_index
    assert index.is_file() and index.name == "index.html"
    assert index.parent.name == clean_result.run_id and index.parent.parent.name == GATE_MONTH
    # GX's own results, one JSON per batch, and no GX Data Docs (their pages load CDN assets)
    results = sorted(p.name for p in (index.parent / "validations").iterdir())
    assert results == sorted(f"{v.batch}.json" for v in load_gate().validations)
    assert not [p for p in index.parent.rglob("*.html") if p != index]
    marts = json.loads((index.parent / "validations" / "unit_scores.json").read_text(encoding="utf-8"))
    assert marts["success"] is True and len(marts["results"]) == 4
    page = index.read_text(encoding="utf-8")
    assert "<title>Báo cáo chất lượng dữ liệu — tháng 07/2025</title>" in page
    assert 'data-passed="true"' in page
    summary = json.loads((index.parent / "summary.json").read_text(encoding="utf-8"))
    assert summary == json.loads(json.dumps(clean_result.summary()))
    assert summary["passed"] is True and len(summary["anomalies"]) == 2


def test_the_portal_token_never_reaches_the_quality_report(clean_result):
    files = [p for p in clean_result.data_docs_index.parent.rglob("*") if p.is_file()]
    assert len(files) > 12
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), f"token leaked into {path}"


def test_points_above_the_maximum_fail_the_gate_and_name_the_unit(warehouse, tmp_path):
    execute(warehouse, f"update marts.fct_criterion_values set points = 21 where unit_id = 'N05' and {JULY} "
                       "and input_source = 'records' and criterion_code = 'CKMB_1'")
    result = gate(warehouse, tmp_path)
    assert not result.passed
    assert set(failed(result)) == {"fct_criterion_values.points_within_max"}
    message = failed(result)["fct_criterion_values.points_within_max"]
    assert message.endswith("Every criterion's points lie within [0, max_points]: unit N05 (month 2025-07-01, records): CKMB_1 21.00 of 18.00")
    text = result.data_docs_index.read_text(encoding="utf-8")
    assert 'data-passed="false"' in text
    assert 'data-check="fct_criterion_values.points_within_max" data-status="failed"' in text
    assert "N05" in text and "CKMB_1 21.00 of 18.00" in text


def test_a_duplicated_unit_fails_the_gate(warehouse, tmp_path):
    execute(warehouse, f"insert into marts.fct_unit_scores select * from marts.fct_unit_scores "
                       f"where unit_id = 'N07' and {JULY} and input_source = 'records'")
    result = gate(warehouse, tmp_path)
    assert not result.passed
    assert failed(result) == {
        "fct_unit_scores.one_row_per_unit_and_period":
            "One row per unit, period and input source: unit N07 (month 2025-07-01, records) has more than one row",
    }


@pytest.mark.parametrize("also_from_dim_units", [False, True])
def test_a_missing_province_fails_the_gate(warehouse, tmp_path, also_from_dim_units):
    """Lost upstream (rankings rebuilt without it): dim_units names it; lost from dim_units too: the count does."""
    statements = [
        f"delete from marts.fct_unit_scores where unit_id = 'N12' and {JULY}",
        f"delete from marts.fct_criterion_values where unit_id = 'N12' and {JULY}",
    ] + (["delete from marts.dim_units where unit_id = 'N12'"] if also_from_dim_units else [])
    execute(warehouse, *statements)
    with duckdb.connect(str(warehouse)) as con:
        add_contract_marts(con)
    result = gate(warehouse, tmp_path)
    assert not result.passed
    expected = {
        "marts.province_count": "The month's marts hold the provinces in force (63 before 2025-07-01, 34 from it): "
                                "rpt_rankings has 33 provinces, expected 34; fct_unit_scores has 33 provinces, expected 34",
    }
    if not also_from_dim_units:
        expected |= {
            "rpt_rankings.every_ministry_and_province":
                "Every ministry and province in force is in rpt_rankings: province N12 (Tỉnh mới 12) is missing from rpt_rankings",
            "fct_unit_scores.every_ministry_and_province":
                "Every ministry and province in force is in fct_unit_scores (records): "
                "province N12 (Tỉnh mới 12) is missing from fct_unit_scores (records)",
        }
    assert failed(result) == expected


def test_broken_staging_and_marts_fail_each_check_with_what_and_where(warehouse, tmp_path):
    execute(
        warehouse,
        # a dossier landed twice
        "insert into staging.stg_portal__dossiers select * from staging.stg_portal__dossiers "
        "where dossier_id = 'M02-2025-07-0'",
        # a procedure without its code
        "update staging.stg_portal__procedures set procedure_id = null where period = '2025-07' and unit_id = 'unit_id-2'",
        # a rating of the July extraction dated in June
        "update staging.stg_portal__ratings set rated_at = timestamp '2025-06-30 23:00:00' "
        "where period = '2025-07' and dossier_id = 'dossier_id-3'",
        # 5 more quarantined ratings: 6 issues for 100 raw records
        "insert into staging.stg_portal__quarantine select q.* from staging.stg_portal__quarantine q, range(5) "
        "where q.period = '2025-07' and q.dataset = 'ratings'",
        # July's petitions fall from 20 to 5
        "delete from staging.stg_portal__petitions where period = '2025-07' and petition_id not in "
        "('petition_id-0', 'petition_id-1', 'petition_id-2', 'petition_id-3', 'petition_id-4')",
        # a new column, and a changed type
        "alter table staging.stg_portal__units add column extra_flag boolean",
        "alter table staging.stg_portal__report_counts alter received_dossier_count type varchar",
        # a total that is not the sum of its groups, a gap in the ranks, and a person's name in a mart
        f"update marts.fct_unit_scores set total_points = total_points + 1 where unit_id = 'M02' and {JULY} "
        "and input_source = 'records'",
        f"update marts.rpt_rankings set competition_rank = 3 where unit_id = 'C4' and {JULY}",
        "alter table marts.rpt_rankings add column applicant_name varchar",
    )
    result = gate(warehouse, tmp_path)
    assert not result.passed
    messages = failed(result)
    assert set(messages) == {
        "staging.keys.unique", "staging.keys.not_null", "staging.dates.within_bounds", "staging.quarantine.share_below_threshold",
        "staging.volume.within_baseline", "staging.schema.no_unexpected_columns", "staging.schema.no_missing_columns",
        "fct_unit_scores.groups_sum_to_total", "rpt_rankings.competition_ranks", "marts.no_personal_data_columns",
    }
    expected_parts = {
        "staging.keys.unique": "stg_portal__dossiers (period, dossier_id): 1 duplicated keys, e.g. 2025-07|M02-2025-07-0",
        "staging.keys.not_null": "stg_portal__procedures (period, procedure_id, unit_id): 1 rows with a null key "
                                 "part, e.g. 2025-07|unit_id-2",
        "staging.dates.within_bounds": "stg_portal__ratings.rated_at: 1 of 20 values outside [2025-07-01, 2025-08-01 "
                                       "(next_start)), e.g. 2025-07|dossier_id-3|2025-06-30 23:00:00",
        "staging.quarantine.share_below_threshold": "ratings: 6 quarantine rows for 100 raw records (6.00%, threshold 5.00%)",
        "staging.volume.within_baseline": "stg_portal__petitions: 5 rows, 0.25x the median 20 of 2025-06, 2025-05, 2025-04",
        "staging.schema.no_unexpected_columns": "stg_portal__report_counts.received_dossier_count VARCHAR; "
                                                "stg_portal__units.extra_flag BOOLEAN",
        "staging.schema.no_missing_columns": "missing stg_portal__report_counts.received_dossier_count BIGINT",
        "fct_unit_scores.groups_sum_to_total": "unit M02 (month 2025-07-01, records): the groups sum to 48.76 but "
                                               "total_points is 49.76",
        "rpt_rankings.competition_ranks": "unit C4 (Xã C4), communes N01: rank 3 but its total 60 ranks 4",
        "marts.no_personal_data_columns": "rpt_rankings.applicant_name",
    }
    for check, part in expected_parts.items():
        assert part in messages[check], (check, messages[check])
    # Only the injected rows are named: one line per fault.
    assert messages["staging.volume.within_baseline"].count("rows,") == 1
    assert messages["rpt_rankings.competition_ranks"].count("unit ") == 1


def test_the_key_parts_the_dbt_project_declares_nullable_may_be_null(warehouse, tmp_path):
    # The nation's page has no root, and a unit published without a departmentId is known by its root and name.
    execute(
        warehouse,
        "update staging.stg_portal__evaluation_inputs set root_department_id = null, department_id = null "
        "where period = '2025-07'",
    )
    assert "staging.keys.not_null" not in failed(gate(warehouse, tmp_path))
    execute(warehouse, "update staging.stg_portal__evaluation_inputs set criterion_code = null where period = '2025-07'")
    assert "stg_portal__evaluation_inputs (period, period_type" in failed(gate(warehouse, tmp_path))["staging.keys.not_null"]


def test_the_first_month_passes_with_notes_and_judges_63_provinces(warehouse, tmp_path):
    result = gate(warehouse, tmp_path, month="2025-04")
    assert result.passed, result.render()
    assert any(n.startswith("staging volumes of 2025-04 not compared (no earlier month with rows)") for n in result.notes)
    assert "no unit scored in both 2025-03 and 2025-04: month-on-month changes not judged" in result.notes
    assert [c.success for c in result.checks if c.check == "marts.province_count"] == [True]
    assert result.anomalies.empty


def test_missing_tables_and_blocking_anomalies_fail_the_gate(warehouse, tmp_path):
    execute(warehouse, "drop table marts.rpt_rankings")
    result = gate(warehouse, tmp_path, anomalies_block=True)
    assert not result.passed
    messages = failed(result)
    assert set(messages) == {
        "marts_rankings.batch_built", "marts_coverage.batch_built", "marts_province_counts.batch_built",
        "anomalies.points_change", "anomalies.dossier_volume",
    }
    assert messages["marts_rankings.batch_built"] == (
        "the checks of suite marts_rankings could not run: marts.rpt_rankings is missing from the warehouse"
    )
    assert result.anomalies["blocking"].all() and len(result.anomalies) == 2


NETWORK_GUARD = """
import socket, sys
def refuse(*args, **kwargs):
    sys.stderr.write(f"NETWORK ATTEMPT {args!r}\\n")
    raise OSError("network access is not allowed in this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
import runpy
sys.argv = ["orchestration.quality"] + sys.argv[1:]
runpy.run_module("orchestration.quality", run_name="__main__", alter_sys=True)
"""


def test_the_command_line_runs_offline_prints_the_failure_and_exits_non_zero(warehouse, tmp_path):
    execute(warehouse, f"update marts.fct_criterion_values set points = -1 where unit_id = 'M03' and {JULY} "
                       "and input_source = 'portal_published' and criterion_code = 'MDHL_1'")
    env = {**os.environ, "PORTAL_TOKEN": CANARY, "DVC_INDEX_HOME": str(tmp_path / "home")}
    env.pop("DUCKDB_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD, "--month", GATE_MONTH, "--duckdb", str(warehouse)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert "NETWORK ATTEMPT" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "FAILED (1 checks)" in proc.stdout
    assert "FAILED fct_criterion_values.points_within_max: " in proc.stdout
    assert "unit M03 (month 2025-07-01, portal_published): MDHL_1 -1.00 of 18.00" in proc.stdout
    report = Path(re.search(r"quality report: (\S+)", proc.stdout).group(1))
    assert report.is_file() and report.is_relative_to(tmp_path / "home" / "quality" / GATE_MONTH)
    assert CANARY not in proc.stdout + proc.stderr
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), f"token leaked into {path}"


def test_the_network_guard_of_the_command_line_test_does_catch_a_connection(tmp_path):
    """The guard above must be able to fail: a connection attempt under it is reported."""
    guard = NETWORK_GUARD.split("import runpy")[0] + "socket.create_connection(('example.invalid', 80))\n"
    proc = subprocess.run([sys.executable, "-c", guard], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "NETWORK ATTEMPT" in proc.stderr
