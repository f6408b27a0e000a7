"""The Dagster definitions: loadable, with the ingestion assets feeding the dbt models."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from orchestration.build_window import dbt_build_args, dbt_window_env, window_in_environment
from orchestration.partitions import monthly_partitions, months_between


def test_the_partition_window_reaches_dbt_by_the_environment_not_vars():
    # a var that changes every month would make dbt parse the whole project every month
    assert "--vars" not in dbt_build_args() and dbt_build_args()[0] == "build"
    assert "--full-refresh" in dbt_build_args(full_refresh=True)
    assert dbt_window_env("2025-05", "2025-08") == {"DVC_INDEX_PERIOD_FROM": "2025-05", "DVC_INDEX_PERIOD_TO": "2025-08"}
    for bad in (("2025-13", "2025-13"), ("2025-07'; drop table x", "2025-07"), ("", "2025-07")):
        with pytest.raises(ValueError, match="must be YYYY-MM"):
            dbt_window_env(*bad)
    with pytest.raises(ValueError, match="after"):
        dbt_window_env("2025-08", "2025-07")


def test_the_window_is_in_the_environment_only_while_dbt_starts(monkeypatch):
    monkeypatch.setenv("DVC_INDEX_PERIOD_FROM", "2024-01")
    monkeypatch.delenv("DVC_INDEX_PERIOD_TO", raising=False)
    with window_in_environment("2025-07", "2025-08"):
        assert (os.environ["DVC_INDEX_PERIOD_FROM"], os.environ["DVC_INDEX_PERIOD_TO"]) == ("2025-07", "2025-08")
    assert os.environ["DVC_INDEX_PERIOD_FROM"] == "2024-01" and "DVC_INDEX_PERIOD_TO" not in os.environ


def test_the_monthly_build_leaves_out_the_unit_tests_only():
    args = dbt_build_args()
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    assert args.count("--exclude-resource-type") == 1  # data tests still run with the build


def test_months_between_spans_years_and_rejects_reversed_ranges():
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    with pytest.raises(ValueError, match="before"):
        months_between("2025-08", "2025-05")


def test_monthly_partitions_start_in_august_2022_and_are_named_by_month():
    keys = monthly_partitions.get_partition_keys()
    assert keys[0] == "2022-08"
    assert "2025-07" in keys


def test_definitions_load_and_staging_depends_on_the_raw_assets():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    raw_keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "raw"}
    assert {k.path[1] for k in raw_keys} == {
        "units", "procedures", "publication_decisions", "dossiers", "petitions", "ratings", "report_counts",
        "evaluation",
    }
    keys = graph.get_all_asset_keys()
    base_key = next(k for k in keys if k.path[-1] == "base_portal__dossiers")
    assert dg.AssetKey(["raw", "dossiers"]) in graph.get(base_key).parent_keys
    evaluation_key = next(k for k in keys if k.path[-1] == "stg_portal__evaluation_inputs")
    assert dg.AssetKey(["raw", "evaluation"]) in graph.get(evaluation_key).parent_keys
    assert defs.resolve_job_def("monthly_index") is not None


def test_dbt_progress_counts_dbt_nodes_by_kind_and_reports_failures_at_once():
    """A quiet run's dbt step: dbt's lines counted, a line every tenth of the nodes and one per failure."""
    from orchestration.progress import DbtProgress

    said: list[str] = []
    progress = DbtProgress(said.append, "dbt 2025-07", every=0.5)
    progress.write("1 of 4 START sql table model marts.dim_units ...... [RUN]\n"
                   "1 of 4 OK created sql table model marts.dim_units .. [OK in 0.52s]\n2 of 4 PASS not_")
    progress.write("null_dim_units_unit_id ... [PASS in 0.07s]\n3 of 4 OK loaded seed file reference.rule_bands [INSERT 5]\n")
    progress.write("4 of 4 FAIL 3 unique_dim_units_unit_id ... [FAIL 3 in 0.1s]\nDone. PASS=2 WARN=0 ERROR=0\n")
    assert [line.split(" in ")[0] for line in said] == [
        "dbt 2025-07: 1 of 4 dbt nodes done (1 models)",
        "dbt 2025-07: 3 of 4 dbt nodes done (1 models, 1 seeds, 1 tests)",
        "dbt 2025-07: 4 of 4 FAIL 3 unique_dim_units_unit_id ... [FAIL 3",
        "dbt 2025-07: 4 of 4 dbt nodes done (1 models, 1 seeds, 2 tests, 1 failed)",
    ]
