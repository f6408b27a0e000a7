"""The reviewer's quality page (orchestration/quality/page.py): what it says, and that it opens offline.

The render tests use hand-made outcomes, so every expected string is written out here; the browser test runs the
whole gate on the hand-made warehouse with one fault (a criterion above its maximum) and opens the page it wrote
in headless Chromium with the network off.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pandas as pd
import pytest

from orchestration.quality import QualityConfig, run_quality_gate
from orchestration.quality.outcomes import CheckOutcome
from orchestration.quality.page import format_value, render_quality_page
from tests.browser import offline_page, screenshot
from tests.quality.warehouse_builder import GATE_MONTH, build_warehouse

SUITES = {
    "marts_unit_scores": {"meta": {"title_vi": "Tổng điểm của đơn vị", "description": "fct_unit_scores of the month."}},
    "unit_changes": {"meta": {"title_vi": "Biến động so với tháng trước", "description": "Month on month."}},
}
CHECKS = [
    CheckOutcome("fct_unit_scores.month_present", "marts_unit_scores", "unit_scores", True, "critical",
                 "fct_unit_scores has rows for the month", title_vi="Có tổng điểm của tháng", observed=1234),
    CheckOutcome("fct_unit_scores.total_within_0_100", "marts_unit_scores", "unit_scores", False, "critical",
                 "total_points lies within [0, 100]",
                 message="total_points lies within [0, 100]: unit <img src=x onerror=alert(1)> has 100.5",
                 unexpected_count=1, element_count=97, title_vi="Tổng điểm nằm trong khoảng từ 0 đến 100",
                 offending=[{"unit_id": "<img src=x onerror=alert(1)>", "total_points": 100.5}]),
    CheckOutcome("anomalies.points_change", "unit_changes", "unit_changes", False, "warning",
                 "A unit's total points change by at most the threshold", message="unit M01: 50 -> 70",
                 unexpected_count=1, element_count=40, observed=[1.5, 2.25], title_vi="Tổng điểm không thay đổi quá ngưỡng"),
]
ANOMALIES = pd.DataFrame([{"kind": "points", "unit_id": "M01", "unit_name": "Bộ số 1", "previous_value": 50.0,
                           "value": 70.0, "change": 20.0, "threshold": 15.0, "blocking": False}])


def render(**overrides) -> str:
    arguments = dict(month="2025-07", run_id="20250805T030000000000Z", passed=False, checks=CHECKS, suites=SUITES,
                     notes=["staging volumes of 2025-07 not compared (no earlier month with rows): stg_portal__ratings"],
                     anomalies=ANOMALIES, config=QualityConfig(), duration_seconds=12.34)
    return render_quality_page(**(arguments | overrides))


def test_values_are_written_the_vietnamese_way():
    assert format_value(1234567) == "1.234.567"
    assert format_value(0.05) == "0,05"
    assert format_value(100.5) == "100,5"
    assert format_value(None) == "không có"
    assert format_value(True) == "có"
    assert format_value(list(range(12))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 … và 2 giá trị khác"
    assert format_value({"rows": 3, "share": 0.5}) == "rows: 3; share: 0,5"


def test_the_page_has_the_verdict_a_section_per_suite_and_the_rows_behind_a_failure():
    page = render()
    assert "<title>Báo cáo chất lượng dữ liệu — tháng 07/2025</title>" in page
    assert "KHÔNG ĐẠT: 1 kiểm tra nghiêm trọng không đạt" in page
    assert "lúc 05/08/2025 03:00:00 UTC, trong 12,3 giây" in page
    # one section per suite, in the order the gate ran them, with the suite's status
    sections = re.findall(r'<section id="bo-(\w+)" data-suite="\w+" data-status="(\w+)">', page)
    assert sections == [("marts_unit_scores", "failed"), ("unit_changes", "warning")]
    statuses = re.findall(r'data-check="([\w.]+)" data-status="(\w+)"', page)
    assert statuses == [("fct_unit_scores.month_present", "passed"), ("fct_unit_scores.total_within_0_100", "failed"),
                        ("anomalies.points_change", "warning")]
    assert "<td>1.234</td>" in page  # the observed row count
    assert "<td>1,5, 2,25</td>" in page  # an observed list
    assert '<td class="num">1 / 97</td>' in page
    # the failure's rows, escaped: a value from the portal never becomes markup
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td><td>100,5</td>" in page
    assert "<img src=x" not in page
    assert "Bộ số 1" in page and "Tổng điểm" in page  # the anomaly
    assert "DVC_INDEX_QUALITY_QUARANTINE_MAX_SHARE" in page and "stg_portal__ratings" in page  # thresholds, notes
    assert '<a href="validations/unit_scores.json">' in page


def test_a_passing_month_says_it_may_be_published():
    page = render(passed=True, checks=CHECKS[:1], anomalies=ANOMALIES.iloc[0:0], notes=[])
    assert "ĐẠT: không có kiểm tra nghiêm trọng nào không đạt; tháng có thể được công bố." in page
    assert "Không có đơn vị nào biến động vượt ngưỡng." in page
    assert 'id="ghi-chu"' not in page


@pytest.mark.timeout(300)
def test_the_gates_page_opens_offline_in_chromium_with_every_suite(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(tmp_path / "clean.duckdb")
    shutil.copyfile(tmp_path / "clean.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.fct_criterion_values set points = 21 where unit_id = 'N05' "
                    "and period_type = 'month' and period_start = date '2025-07-01' "
                    "and input_source = 'records' and criterion_code = 'CKMB_1'")
    result = run_quality_gate(warehouse, GATE_MONTH, config=QualityConfig(), quality_dir=tmp_path / "quality")
    assert not result.passed
    # the page opened from a copy elsewhere, as a release folder copied to another machine
    copy = shutil.copytree(result.data_docs_index.parent, tmp_path / "copied" / "quality")
    with offline_page(tmp_path) as (page, log):
        page.goto((copy / "index.html").as_uri(), wait_until="load")
        assert page.title() == "Báo cáo chất lượng dữ liệu — tháng 07/2025"
        verdict = page.locator("#ket-luan")
        assert verdict.is_visible() and "KHÔNG ĐẠT" in verdict.inner_text()
        # styled: the verdict has the failure's colour, which only the page's own CSS gives it
        assert page.eval_on_selector("#ket-luan", "e => getComputedStyle(e).backgroundColor") == "rgb(192, 57, 43)"
        suites = page.locator("section[data-suite]").evaluate_all("s => s.map(e => e.dataset.suite)")
        assert len(suites) == 12 and "marts_criterion_values" in suites
        detail = page.locator('tr[data-detail="fct_criterion_values.points_within_max"]')
        assert detail.is_visible()
        text = detail.inner_text()
        assert "N05" in text and "CKMB_1 21.00 of 18.00" in text
        box = page.locator('section[data-suite="marts_criterion_values"] table.checks').bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
        shot = screenshot(page, f"quality-{GATE_MONTH}.png")
    log.assert_clean()
    assert log.requested == [(copy / "index.html").as_uri()]
    assert shot.stat().st_size > 10_000
