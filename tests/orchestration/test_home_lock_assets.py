"""The assets that write a home take its lock (orchestration/home_lock.py): with another run holding it, a step
Dagster runs (as a schedule or a backfill launched from the UI would) waits, then fails naming the holder, and
touches nothing: no extraction folder, no quality report, no release."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import warehouse_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.publication import monthly_release
from orchestration.assets.quality import quality_gate
from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project
from orchestration.home_lock import HOME_LOCK
from orchestration.resources import PortalResource
from tests.orchestration.test_home_lock import Holder


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_INDEX_HOME", str(tmp_path))
    monkeypatch.delenv("DUCKDB_PATH", raising=False)
    monkeypatch.setenv("DVC_INDEX_LOCK_WAIT_SECONDS", "0.5")
    return tmp_path


def _failure(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "the step did not fail"
    error = failures[0].event_specific_data.error
    return error.message + (error.cause.message if error.cause else "")


@pytest.mark.parametrize("asset, lock", [
    (warehouse_models, HOME_LOCK),
    (quality_gate, HOME_LOCK),
    (monthly_release, HOME_LOCK),
    (next(a for a in ingestion_assets if a.key.path[-1] == "units"), "extract-units-2025-07"),
])
def test_a_step_waits_for_the_holder_then_fails_naming_it(home, asset, lock):
    holder = Holder(home, lock)
    try:
        result = dg.materialize(
            [asset], partition_key="2025-07", instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            resources={
                "portal": PortalResource(base_url="http://127.0.0.1:9"),
                "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
            },
        )
    finally:
        holder.let_go()
        holder.wait()
    assert not result.success
    message = _failure(result)
    assert f"PID {holder.pid}" in message and "after waiting" in message and "DVC_INDEX_LOCK_WAIT_SECONDS" in message
    assert not (home / "raw" / "units").exists()
    assert not (home / "quality").exists() and not (home / "releases").exists()
    assert not (home / "warehouse.duckdb").exists() and not (home / "dbt").exists()


@pytest.mark.parametrize("key", ["2025-13", "25-07", "", "2025-07'; drop table x", "../..", "2025-07\n"])
def test_a_partition_key_that_is_not_a_month_is_refused_before_any_step(home, key):
    """Dagster checks a run's partition key against the monthly partitions before any step runs, so nothing the
    steps build from it (raw and release paths, the dbt window) ever sees a key that is not a month (an empty key is
    a run without a partition, whose steps fail on their first read of it)."""
    expected = (dg.DagsterInvariantViolationError, "non-partitioned run") if key == "" else (
        dg.DagsterUnknownPartitionError, "Could not find a partition with key")
    with pytest.raises(expected[0], match=expected[1]):
        dg.materialize(
            [monthly_release], partition_key=key, instance=dg.DagsterInstance.ephemeral(),
            resources={"portal": PortalResource(base_url="http://127.0.0.1:9")},
        )
    assert list(home.iterdir()) == []
