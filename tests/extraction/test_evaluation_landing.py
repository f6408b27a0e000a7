"""Landing the published evaluation (PORTAL_API.md §2) over HTTP against the simulator."""

from __future__ import annotations

import json

import httpx
import pytest

from orchestration.evaluation_landing import UNIT_ENDPOINTS, EvaluationExtractor
from orchestration.landing import EVALUATION, IncompleteExtractionError, list_extractions
from orchestration.portal.client import PortalClient, RetryPolicy
from tests.extraction.helpers import landed_records

PERIOD = "2025-07"


@pytest.fixture(scope="module")
def landed(portal_data, tmp_path_factory):
    from orchestration.portal.simulator.server import PortalSimulator
    from tests.conftest import AS_OF, TEST_CONFIG

    raw = tmp_path_factory.mktemp("raw")
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF) as sim:
        result = EvaluationExtractor(PortalClient(sim.url, timeout=300), raw).extract(PERIOD)
    return result, landed_records(result.path)


def test_every_endpoint_is_landed_for_the_nation_and_each_province_and_ministry(landed):
    result, records = landed
    roots = {(r["block"], r["rootDepartmentId"]) for r in records}
    nation_provinces = [
        json.loads(r["response"]) for r in records
        if r["endpoint"] == "transparency" and r["rootDepartmentId"] == "NATION" and r["block"] == "province"
    ]
    provinces = {u["departmentId"] for page in nation_provinces for u in page["data"]["evaluation"]}
    assert len(provinces) == 34  # July 2025: the merged provinces
    assert {root for block, root in roots if block == "province"} == provinces | {"NATION"}
    for block, root in roots:
        endpoints = {r["endpoint"] for r in records if (r["block"], r["rootDepartmentId"]) == (block, root)}
        assert set(UNIT_ENDPOINTS) <= endpoints
    assert json.loads((result.path / "manifest.json").read_text())["record_count"] == len(records)


def test_responses_are_kept_whole_with_unknown_fields(landed):
    _, records = landed
    tree = next(r for r in records if r["endpoint"] == "dvc-progress-tree" and r["rootDepartmentId"] == "NATION")
    response = json.loads(tree["response"])
    assert response["code"] == "OK"
    assert "monthlyChart" in response["data"]["parent"]  # an extra field the contract says to keep
    assert json.loads(tree["request"])["month"] == 7


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
        EvaluationExtractor(client, tmp_path).extract(PERIOD)
    assert list_extractions(tmp_path, EVALUATION, PERIOD) == []


def test_a_transient_failure_of_the_evaluation_api_is_retried(simulator, tmp_path):
    httpx.post(
        f"{simulator.url}/_sim/faults",
        json={"kind": "503", "path": "/api/v1/reporting/evaluation/transparency", "times": 2},
    ).raise_for_status()
    client = PortalClient(simulator.url, timeout=300, retry=RetryPolicy(max_attempts=3, base_delay=0.01))
    result = EvaluationExtractor(client, tmp_path).extract(PERIOD)
    assert result.record_count > 0
    assert [e.reason for e in client.retry_events] == ["HTTP 503", "HTTP 503"]
