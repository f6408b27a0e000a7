"""History a month's criteria look back on, with lookbacks read from the rule table."""

from __future__ import annotations

from orchestration.history import context_periods, rule_parameter, shift_month


def test_lookbacks_come_from_the_rule_table():
    assert rule_parameter("decision_lookback_months") == 3
    assert rule_parameter("catalogue_lookback_months") == 5


def test_shift_month_crosses_years():
    assert shift_month("2025-02", -3) == "2024-11"
    assert shift_month("2024-12", 1) == "2025-01"


def test_a_month_needs_last_decembers_report_counts_and_recent_decisions_catalogues_and_units():
    assert context_periods("report-counts", "2025-07") == ["2024-12"]
    assert context_periods("publication-decisions", "2025-07") == ["2025-04", "2025-05", "2025-06"]
    assert context_periods("procedures", "2025-07") == ["2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    assert context_periods("units", "2025-07") == context_periods("procedures", "2025-07")
    assert context_periods("dossiers", "2025-07") == []


def test_no_history_before_the_portals_first_month():
    assert context_periods("procedures", "2022-09") == ["2022-08"]
    assert context_periods("report-counts", "2022-08") == []
