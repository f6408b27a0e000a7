"""The suites and the gate definition in expectations/ agree with the dbt contract and with the code."""

from __future__ import annotations

import json

import pytest
import yaml

from orchestration.quality.config import QualityConfig
from orchestration.quality.definitions import SUITES_DIR, build_suite, load_gate, load_suite_json
from orchestration.quality.gate import BATCHES, gate_parameters
from orchestration.quality.periods import Month
from orchestration.quality.staging_batches import (
    DATE_BOUNDS,
    STAGING_MODELS_YML,
    UNBOUNDED_DATE_COLUMNS,
    nullable_key_columns,
    staging_keys,
)
from tests.quality.warehouse_builder import staging_schema


def test_the_staging_schema_suite_has_exactly_the_columns_dbt_documents_in_order():
    documented = {
        m["name"]: [c["name"] for c in m.get("columns", [])]
        for m in yaml.safe_load(STAGING_MODELS_YML.read_text(encoding="utf-8"))["models"]
    }
    expected = {table: [c for c, _ in columns] for table, columns in staging_schema().items()}
    # Every documented model is in the suite exactly as documented, the evaluation inputs included.
    assert set(documented) <= set(expected)
    for table, columns in documented.items():
        assert expected[table] == columns, table
    assert "stg_portal__evaluation_inputs" in expected


def test_the_keys_come_from_the_unique_key_of_the_dbt_models_meta():
    keys = staging_keys()
    assert keys["stg_portal__dossiers"] == ("period", "dossier_id")
    assert keys["stg_portal__report_counts"] == ("period", "unit_id", "report_month_start")
    # One row per published criterion of a node: the node is its place in the drill-down (root, department) and the
    # period is the published one (month, quarter or year), not only the run's month.
    assert keys["stg_portal__evaluation_inputs"] == (
        "period",
        "period_type",
        "period_start",
        "endpoint",
        "root_department_id",
        "is_root_node",
        "department_id",
        "department_name",
        "criterion_code",
    )
    # The dossier's lists are views over stg_portal__dossiers whose keys hold by construction: no key to check.
    assert "stg_portal__quarantine" not in keys and "stg_portal__dossier_status_history" not in keys
    assert len(keys) == 9
    assert nullable_key_columns()["stg_portal__evaluation_inputs"] == ("root_department_id", "department_id", "department_name")
    assert set(nullable_key_columns()) == set(keys) and not nullable_key_columns()["stg_portal__dossiers"]


def test_dbt_does_not_test_again_what_the_gate_checks_of_staging_keys():
    models = {m["name"]: m for m in yaml.safe_load(STAGING_MODELS_YML.read_text(encoding="utf-8"))["models"]}
    for table, key in staging_keys().items():
        model_tests = [next(iter(t)) if isinstance(t, dict) else t for t in models[table].get("data_tests") or []]
        assert "unique_combination" not in model_tests, table
        for column in models[table]["columns"]:
            if column["name"] in key:
                assert "not_null" not in (column.get("data_tests") or []), (table, column["name"])


def test_every_staging_date_column_has_plausible_bounds():
    dated = {
        (table, column)
        for table, columns in staging_schema().items()
        for column, data_type in columns
        if data_type == "DATE" or data_type.startswith("TIMESTAMP")
    }
    bounded = {(b.table, b.column) for b in DATE_BOUNDS}
    assert dated == bounded | UNBOUNDED_DATE_COLUMNS
    assert all(b.lower or b.upper for b in DATE_BOUNDS)


def test_every_suite_builds_in_gx_and_every_expectation_has_a_check_name():
    gate = load_gate()
    assert {v.batch for v in gate.validations} == set(BATCHES)
    assert {v.suite for v in gate.validations} == {p.stem for p in SUITES_DIR.glob("*.json")}
    parameters = set(gate_parameters(Month("2025-07"), QualityConfig()))
    names = []
    for validation in gate.validations:
        doc = load_suite_json(validation.suite)
        suite = build_suite(doc)
        assert len(suite.expectations) == len(doc["expectations"])
        names += [e.meta["check"] for e in suite.expectations]
        assert set(suite.suite_parameter_options) <= parameters, validation.suite
        assert validation.result_format["result_format"] == "COMPLETE"
    assert len(names) == len(set(names))


def test_a_misspelt_expectation_is_an_error_not_a_silently_dropped_check():
    doc = json.loads(json.dumps(load_suite_json("staging_keys")))
    doc["expectations"].append(
        {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "rows"}, "meta": {"check": "typo"}}
    )
    with pytest.raises(ValueError, match="typo"):
        build_suite(doc)


@pytest.mark.parametrize(
    ("month", "provinces"), [("2025-06", 63), ("2025-07", 34), ("2024-01", 63), ("2026-03", 34)]
)
def test_the_province_count_follows_the_july_2025_merger(month, provinces):
    assert Month(month).expected_province_count == provinces
