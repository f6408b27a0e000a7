"""Thresholds from the environment, and which month-on-month changes count as anomalies (no GX involved)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from orchestration.quality.anomalies import find_anomalies
from orchestration.quality.config import QualityConfig
from orchestration.quality.periods import Month


def test_environment_variables_override_the_defaults():
    config = QualityConfig.from_env({
        "DVC_INDEX_QUALITY_QUARANTINE_MAX_SHARE": "0.02",
        "DVC_INDEX_QUALITY_ANOMALIES_BLOCK": "yes",
        "DVC_INDEX_QUALITY_VOLUME_BASELINE_MONTHS": "6",
        "DVC_INDEX_QUALITY_ANOMALY_MAX_POINTS_CHANGE": "",  # empty: keep the default
    })
    assert config.quarantine_max_share == 0.02
    assert config.anomalies_block is True
    assert config.volume_baseline_months == 6
    assert config.anomaly_max_points_change == 15.0
    assert QualityConfig.from_env({}) == QualityConfig()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DVC_INDEX_QUALITY_ANOMALIES_BLOCK", "perhaps", "not a valid bool"),
        ("DVC_INDEX_QUALITY_VOLUME_BASELINE_MONTHS", "3.5", "not a valid int"),
        ("DVC_INDEX_QUALITY_QUARANTINE_MAX_SHARE", "5", r"within \[0, 1\]"),
        ("DVC_INDEX_QUALITY_VOLUME_MAX_RATIO", "0.5", "at least 1"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(variable, value, message):
    with pytest.raises(ValueError, match=message):
        QualityConfig.from_env({variable: value})


def changes(rows):
    columns = ["unit_id", "unit_name", "unit_type", "previous_total_points", "total_points", "points_change",
               "previous_dossiers", "dossiers", "dossier_ratio"]
    return pd.DataFrame(rows, columns=columns)


def test_anomalies_are_the_changes_beyond_the_thresholds_and_nothing_else():
    july = Month("2025-07")
    df = changes([
        # points: exactly 15 is within the threshold, 15.01 is beyond it, in either direction.
        ("A", "Unit A", "province", 60.0, 75.0, 15.0, 100, 120, 1.2),
        ("B", "Unit B", "province", 60.0, 44.99, -15.01, 100, 100, 1.0),
        # volume: ×3 and ÷3 exactly are jumps; 2.99 is not; dossiers appearing from none is one.
        ("C", "Unit C", "commune_people_committee", 50.0, 50.0, 0.0, 40, 120, 3.0),
        ("D", "Unit D", "commune_people_committee", 50.0, 50.0, 0.0, 300, 100, 100 / 300),
        ("E", "Unit E", "commune_people_committee", 50.0, 50.0, 0.0, 100, 299, 2.99),
        ("F", "Unit F", "commune_people_committee", 50.0, 50.0, 0.0, 0, 45, math.inf),
        # not judged (below the minimum volume): no ratio.
        ("G", "Unit G", "commune_people_committee", 50.0, 50.0, 0.0, 2, 20, math.nan),
    ])
    found = find_anomalies(df, july, QualityConfig())
    got = {(r.kind, r.unit_id, r.previous_value, r.value, r.previous_month) for r in found.itertuples()}
    assert got == {
        ("points", "B", 60.0, 44.99, "2025-06"),
        ("volume", "C", 40, 120, "2025-06"),
        ("volume", "D", 300, 100, "2025-06"),
        ("volume", "F", 0, 45, "2025-06"),
    }
    assert not found["blocking"].any()
    assert find_anomalies(df, july, QualityConfig(anomalies_block=True))["blocking"].all()
    looser = find_anomalies(df, july, QualityConfig(anomaly_max_points_change=20, anomaly_volume_ratio=4))
    assert {(r.kind, r.unit_id) for r in looser.itertuples()} == {("volume", "F")}


def test_the_gate_reads_the_warehouse_within_the_duckdb_memory_budget(tmp_path, monkeypatch):
    """Every pipeline connection to the warehouse gets DVC_INDEX_DUCKDB_MEMORY_LIMIT (dbt's budget too), not
    DuckDB's default of 80% of the machine: the gate's key counts over a national month's staging took 7 GB."""
    import duckdb

    from orchestration.quality.warehouse import connect
    from orchestration.settings import duckdb_config

    monkeypatch.delenv("DVC_INDEX_DUCKDB_MEMORY_LIMIT", raising=False)
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()

    def budget(config: dict) -> str:
        with duckdb.connect(config=config) as reference:
            return reference.execute("select current_setting('memory_limit')").fetchone()[0]

    assert duckdb_config({}) == {"memory_limit": "4GB"}
    with connect(path) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == budget({"memory_limit": "4GB"})
    monkeypatch.setenv("DVC_INDEX_DUCKDB_MEMORY_LIMIT", "1GB")
    with connect(path) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == budget({"memory_limit": "1GB"})
