"""How the quality gate, the release and the schedule are wired into Dagster, and what a failed gate tells the user."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.assets.publication import GateNotPassed, verify_gate
from orchestration.pipeline import _gate_report
from orchestration.publication.gate_record import GateRecord, latest_gate_record, write_gate_record
from orchestration.schedules import LANDING_FRESHNESS, MONTHLY_CRON, previous_month
from orchestration.settings import load_settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def record(passed: bool = True, fingerprint: str = "abc", run_id: str = "20250805T000000000000Z") -> GateRecord:
    failed = [] if passed else [{"check": "fct_criterion_values.points_in_range", "message": "unit X: 25 > 20"}]
    return GateRecord(
        month="2025-07", run_id=run_id, passed=passed, fingerprint=fingerprint, failed_checks=failed,
        data_docs_index=f"/q/2025-07/{run_id}/index.html",
    )


def test_publication_needs_a_passed_gate_on_exactly_this_data():
    assert verify_gate(record(), "abc", "2025-07").passed
    with pytest.raises(GateNotPassed, match="has not run"):
        verify_gate(None, "abc", "2025-07")
    with pytest.raises(GateNotPassed, match="points_in_range.*Quality report: /q/2025-07/"):
        verify_gate(record(passed=False), "abc", "2025-07")
    with pytest.raises(GateNotPassed, match="warehouse changed since the quality gate ran"):
        verify_gate(record(), "another fingerprint", "2025-07")


def test_the_latest_gate_record_of_a_month_is_read_back(tmp_path):
    for run_id, passed in (("20250805T000000000000Z", False), ("20250806T000000000000Z", True)):
        folder = tmp_path / "2025-07" / run_id
        folder.mkdir(parents=True)
        write_gate_record(folder, record(passed=passed, run_id=run_id))
    latest = latest_gate_record(tmp_path, "2025-07")
    assert latest.run_id == "20250806T000000000000Z" and latest.passed
    assert latest_gate_record(tmp_path, "2025-08") is None


def test_a_failed_gate_names_its_checks_and_the_report(tmp_path):
    settings = load_settings({"DVC_INDEX_HOME": str(tmp_path)})
    folder = settings.quality_dir / "2025-07" / "20250805T000000000000Z"
    folder.mkdir(parents=True)
    write_gate_record(folder, record(passed=False))
    text = _gate_report(settings, "2025-07")
    assert "failed 1 check(s); nothing was published for 2025-07" in text
    assert "fct_criterion_values.points_in_range: unit X: 25 > 20" in text
    assert "quality report: /q/2025-07/20250805T000000000000Z/index.html" in text
    assert _gate_report(settings, "2025-06") == ""


def test_previous_month_crosses_the_year():
    assert previous_month(datetime(2025, 8, 5, 6, tzinfo=VN)) == "2025-07"
    assert previous_month(datetime(2026, 1, 5, 6, tzinfo=VN)) == "2025-12"


def test_definitions_show_the_gate_release_schedule_and_freshness_checks():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    gate, release = dg.AssetKey(["quality", "gate"]), dg.AssetKey(["release", "monthly"])
    assert gate in graph.get_all_asset_keys() and release in graph.get_all_asset_keys()
    assert graph.get(release).parent_keys == {gate}
    assert dg.AssetKey(["marts", "rpt_rankings"]) in graph.get(gate).parent_keys
    checks = {key.name: key for key in graph.asset_check_keys}
    assert "passed" in checks and graph.get_check_spec(checks["passed"]).blocking
    raw = [key for key in graph.get_all_asset_keys() if key.path[0] == "raw"]
    assert raw and all(graph.get(key).freshness_policy == LANDING_FRESHNESS for key in raw)

    schedule = repo.get_schedule_def("monthly_index_schedule")
    assert schedule.cron_schedule == MONTHLY_CRON == "0 6 5 * *"
    assert schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    with dg.build_schedule_context(repository_def=repo, scheduled_execution_time=datetime(2025, 8, 5, 6, tzinfo=VN)) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == "2025-07" and request.partition_key == "2025-07"
