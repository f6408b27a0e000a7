"""Landing the published evaluation (PORTAL_API.md §2) over HTTP against the simulator."""

from __future__ import annotations

import json

import httpx
import pytest

from orchestration.evaluation_landing import (
    DRILL_ENDPOINT,
    UNIT_ENDPOINTS,
    EvaluationExtractor,
    EvaluationTreeTooDeepError,
)
from orchestration.landing import EVALUATION, IncompleteExtractionError, list_extractions
from orchestration.portal.client import PortalClient, RetryPolicy
from tests.extraction.helpers import landed_records

PERIOD = "2025-07"
JUNE = "2025-06"  # before the merger: provinces, departments, districts and the districts' communes


@pytest.fixture(scope="module")
def landed(portal_data, tmp_path_factory):
    """June's extraction: the month, the second quarter and the year, walked to the leaves."""
    from orchestration.portal.simulator.server import PortalSimulator
    from tests.conftest import AS_OF, TEST_CONFIG

    raw = tmp_path_factory.mktemp("raw")
    progress = []
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF) as sim:
        extractor = EvaluationExtractor(
            PortalClient(sim.url, timeout=300), raw, progress=lambda step, pages: progress.append((step, pages))
        )
        result = extractor.extract(JUNE)
    return result, landed_records(result.path), progress


def _listed(record: dict) -> list[dict]:
    data = json.loads(record["response"])["data"]
    return data.get("evaluation") or data.get("children") or data.get("content") or []


def test_every_period_is_landed_keyed_by_its_time_type(landed):
    result, records, _ = landed
    requests = {r["timeType"]: json.loads(r["request"]) for r in records}
    assert set(requests) == {"month", "quarter", "year"}
    assert (requests["month"]["year"], requests["month"]["month"]) == (2025, 6)
    assert (requests["quarter"]["year"], requests["quarter"]["quarter"]) == (2025, 2)
    assert requests["year"]["year"] == 2025 and "month" not in requests["year"]
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert manifest["record_count"] == len(records)
    assert manifest["parameters"]["timeTypes"] == ["month", "quarter", "year"]


def test_the_drill_down_walks_every_level_to_the_leaves(landed):
    """June's month: each province's districts, and each district's communes, are asked for; a unit with
    subordinate units is the root of every endpoint, a leaf is asked once (and lists nothing)."""
    _, records, _ = landed
    month = [r for r in records if r["timeType"] == "month" and r["block"] == "province"]
    nation = [r for r in month if r["endpoint"] == DRILL_ENDPOINT and r["rootDepartmentId"] == "NATION"]
    provinces = {u["departmentId"] for page in nation for u in _listed(page)}
    assert len(provinces) == 63  # June 2025: before the merger
    listed_under: dict[str, list[dict]] = {}
    for r in month:
        if r["endpoint"] == DRILL_ENDPOINT:
            listed_under.setdefault(r["rootDepartmentId"], []).extend(_listed(r))
    every_listed = {u["departmentId"] for units in listed_under.values() for u in units if u.get("departmentId")}
    assert every_listed <= set(listed_under)  # every unit listed was asked for its own subordinates
    districts = {
        u["departmentId"] for units in listed_under.values() for u in units
        if u["departmentType"] == "DISTRICT_PEOPLE_COMMITTEE"
    }
    assert districts
    communes_under_districts = [
        u for d in districts for u in listed_under.get(d, []) if u["departmentType"] == "COMMUNE_PEOPLE_COMMITTEE"
    ]
    assert communes_under_districts  # the third level below the nation
    for root, units in listed_under.items():
        endpoints = {r["endpoint"] for r in month if r["rootDepartmentId"] == root} - {"service-results"}
        assert endpoints == (set(UNIT_ENDPOINTS) if units or root == "NATION" else {DRILL_ENDPOINT}), root


def test_the_walk_shows_its_progress_per_period_block_and_level(landed):
    _, records, progress = landed
    steps = [step for step, _ in progress]
    assert any(step.startswith("month province level 3:") for step in steps)  # communes under districts
    assert any(step.startswith("year ministry level") for step in steps)
    assert progress[-1][1] == len(records)


def test_a_tree_deeper_than_the_walk_s_bound_fails_and_lands_nothing(simulator, tmp_path):
    extractor = EvaluationExtractor(PortalClient(simulator.url, timeout=300), tmp_path, max_depth=1,
                                    time_types=("month",))
    with pytest.raises(EvaluationTreeTooDeepError, match="beyond the walk's bound of 1 levels"):
        extractor.extract(JUNE)
    assert list_extractions(tmp_path, EVALUATION, JUNE) == []


def test_responses_are_kept_whole_with_unknown_fields(landed):
    _, records, _ = landed
    tree = next(r for r in records if r["endpoint"] == "dvc-progress-tree" and r["rootDepartmentId"] == "NATION")
    response = json.loads(tree["response"])
    assert response["code"] == "OK"
    assert "monthlyChart" in response["data"]["parent"]  # an extra field the contract says to keep
    assert json.loads(tree["request"])["month"] == 6


def test_an_evaluation_page_missing_units_fails_and_lands_nothing(simulator, tmp_path, monkeypatch):
    real = PortalClient.post_evaluation

    def drop_a_unit(self, endpoint, body):
        response = real(self, endpoint, body)
        if endpoint == "transparency" and body.get("rootDepartmentId"):
            response["data"]["evaluation"] = response["data"]["evaluation"][1:]
        return response

    monkeypatch.setattr(PortalClient, "post_evaluation", drop_a_unit)
    client = PortalClient(simulator.url, timeout=300, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    with pytest.raises(IncompleteExtractionError, match="totalElements"):
        EvaluationExtractor(client, tmp_path, time_types=("month",)).extract(PERIOD)
    assert list_extractions(tmp_path, EVALUATION, PERIOD) == []


def test_a_transient_failure_of_the_evaluation_api_is_retried(simulator, tmp_path):
    httpx.post(
        f"{simulator.url}/_sim/faults",
        json={"kind": "503", "path": "/api/v1/reporting/evaluation/transparency", "times": 2},
    ).raise_for_status()
    client = PortalClient(simulator.url, timeout=300, retry=RetryPolicy(max_attempts=3, base_delay=0.01))
    result = EvaluationExtractor(client, tmp_path, time_types=("month",)).extract(PERIOD)
    assert result.record_count > 0
    assert [e.reason for e in client.retry_events] == ["HTTP 503", "HTTP 503"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ("month", "quarter", "year")), ("", ("month", "quarter", "year")), ("month", ("month",)),
     (" year , month ", ("month", "year")), ("quarter,quarter", ("quarter",))],
)
def test_the_periods_of_the_evaluation_are_chosen_by_environment(value, expected):
    from orchestration.settings import evaluation_periods

    assert evaluation_periods({} if value is None else {"DVC_INDEX_EVALUATION_PERIODS": value}) == expected


@pytest.mark.parametrize("value", ["months", "month,half-year", ",", "Month"])
def test_an_unknown_period_of_the_evaluation_is_refused_with_the_variable_named(value):
    from orchestration.settings import evaluation_periods

    with pytest.raises(ValueError, match=r"DVC_INDEX_EVALUATION_PERIODS must list some of month, quarter, year"):
        evaluation_periods({"DVC_INDEX_EVALUATION_PERIODS": value})


def test_the_evaluation_asset_lands_the_periods_the_environment_names(simulator, tmp_path, monkeypatch):
    """The Dagster asset of the published evaluation asks the portal for the periods of
    DVC_INDEX_EVALUATION_PERIODS only, and its manifest says which."""
    import dagster as dg

    from orchestration.assets.ingestion import raw_evaluation
    from orchestration.resources import PortalResource

    monkeypatch.setenv("DVC_INDEX_HOME", str(tmp_path))
    monkeypatch.setenv("DVC_INDEX_EVALUATION_PERIODS", "month")
    result = dg.materialize([raw_evaluation], partition_key=PERIOD,
                            resources={"portal": PortalResource(base_url=simulator.url, timeout_seconds=300)},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [extraction] = list_extractions(tmp_path / "raw", EVALUATION, PERIOD)
    manifest = json.loads((extraction / "manifest.json").read_text())
    assert manifest["parameters"]["timeTypes"] == ["month"]
    records = landed_records(extraction)
    assert {r["timeType"] for r in records} == {"month"}
