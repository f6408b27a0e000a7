"""The month's report page, rendered from a small hand-made warehouse (tests/publication/marts_fixture.py).

Expected values are the fixture's hand-made figures written the Vietnamese way (decimal comma). The last test opens
the page in the system's headless Chromium, offline, as a reader would.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import tempfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from orchestration.publication.report import (
    Anomaly,
    QualityCheck,
    QualitySummary,
    QuarantineCount,
    format_number,
    format_share,
    format_signed,
    render_report,
    write_report,
)
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_unavailable
from tests.publication.marts_fixture import MONTH, SCRIPT_NAME, build_marts

QUALITY = QualitySummary(
    checks=(
        QualityCheck("Số hồ sơ khớp với báo cáo tổng hợp", True, "12.345 hồ sơ"),
        QualityCheck("<img src=x onerror=alert(2)> Mã đơn vị", False, "3 mã không có trong danh mục"),
    ),
    anomalies=(Anomaly("Tỉnh Lào Cai", "Hồ sơ tiếp nhận", 1200, 300),),
    quarantine=(QuarantineCount("dossiers", "invalid_date", 17), QuarantineCount("petitions", "missing_unit", 1250)),
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_marts(tmp_path_factory.mktemp("marts") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def page(warehouse: Path) -> str:
    return _render(warehouse, MONTH, QUALITY)


def _render(warehouse: Path, month: str, quality: QualitySummary) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return render_report(con, month, quality)


class _TableReader(HTMLParser):
    """The text of every cell of every table, table by table, with the table's attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[dict[str, str | None], list[list[str]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append((dict(attrs), []))
        elif tag == "tr":
            self._row = []
            self.tables[-1][1].append(self._row)
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table(page: str, attribute: str, value: str) -> list[list[str]]:
    reader = _TableReader()
    reader.feed(page)
    matches = [rows for attrs, rows in reader.tables if attrs.get(attribute) == value]
    assert len(matches) == 1, f"expected one table with {attribute}={value!r}, found {len(matches)}"
    return matches[0]


def _section(page: str, section_id: str) -> str:
    return page.split(f'<section id="{section_id}">', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize(
    ("value", "formatted", "signed"),
    [
        (Decimal("89.90"), "89,90", "+89,90"),
        (1234.5, "1.234,50", "+1.234,50"),
        (Decimal("-28.64"), "-28,64", "-28,64"),
        (0, "0,00", "0,00"),
        (None, "—", "—"),
    ],
)
def test_points_are_written_with_a_decimal_comma_and_dots_between_thousands(value, formatted, signed):
    assert format_number(value) == formatted
    assert format_signed(value) == signed


def test_shares_are_percentages_with_a_decimal_comma():
    assert format_share(2 / 3) == "66,7%"
    assert format_share(0.879, 0) == "88%"


def test_page_is_titled_in_vietnamese_for_the_month_with_its_comparison_and_extraction(page):
    title = "Bộ chỉ số phục vụ người dân, doanh nghiệp — tháng 08/2025"
    assert f"<title>{title}</title>" in page
    assert f"<h1>{title}</h1>" in page
    assert '<html lang="vi">' in page
    assert "Kỳ đánh giá: 01/08/2025 – 31/08/2025." in page
    assert "So sánh với tháng 07/2025." in page
    # The latest extraction of this month's rows, not of another period's.
    assert "trích xuất lúc 03/09/2025 08:30" in page
    assert "Xếp hạng các tỉnh, thành phố trực thuộc Trung ương (5 đơn vị)" in page
    assert "Xếp hạng các bộ, ngành (2 đơn vị)" in page


def test_provinces_are_listed_by_rank_with_tied_units_sharing_a_rank_in_name_order(page):
    rows = _table(page, "data-peer-group", "provinces")
    assert rows[0] == [
        "Hạng", "Đơn vị", "Tổng điểm", "Xếp loại", "Hạng kỳ trước", "Thay đổi hạng", "Thay đổi điểm",
        "CKMB /18", "TDGQ /20", "CLGQ /12", "TTTT /10", "MDSH /22", "MDHL /18", "Khoảng hạng", "Ghi chú",
    ]
    assert [row[:4] for row in rows[1:]] == [
        ["1", "Tỉnh Bắc Ninh", "92,83", "Xuất sắc"],
        ["2", "Thành phố Hà Nội", "85,50", "Tốt"],
        ["2", "Tỉnh An Giang", "85,50", "Tốt"],
        ["4", SCRIPT_NAME, "64,36", "Trung bình"],
        ["—", "Tỉnh Cao Bằng", "38,00", "Yếu"],
    ]


def test_each_line_shows_previous_rank_change_group_points_interval_and_flags(page):
    rows = {row[1]: row for row in _table(page, "data-peer-group", "provinces")[1:]}
    # Group points are the records' (the portal's own scoring of Bắc Ninh, 3,33 a group, is another source).
    assert rows["Tỉnh Bắc Ninh"][4:] == [
        "2 †", "▲ 1", "+2,73", "15,82", "19,45", "8,53", "10,00", "21,17", "17,86", "1–2", "",
    ]
    assert rows["Thành phố Hà Nội"][4:7] == ["3", "▲ 1", "0,00"]
    assert rows[SCRIPT_NAME][4:] == [
        "1", "▼ 3", "-28,64", "11,83", "19,99", "6,75", "6,67", "7,55", "11,57", "4–4", "Ít hồ sơ Tạm tính",
    ]
    assert rows["Tỉnh Cao Bằng"][4:] == [
        "—", "—", "—", "6,00", "10,00", "2,00", "10,00", "0,00", "10,00", "—", "Chưa xếp hạng",
    ]
    ministries = _table(page, "data-peer-group", "ministries")[1:]
    assert [row[:8] for row in ministries] == [
        ["1", "Bộ Tư pháp", "81,20", "Tốt", "1", "=", "+0,70", "15,00"],
        ["2", "Bộ Công Thương", "72,00", "Khá", "2", "=", "-3,00", "12,00"],
    ]
    assert ministries[0][-1] == "Đã điều chỉnh"
    assert ministries[1][-1] == ""


def test_rows_of_other_periods_stay_out_of_the_month(page):
    assert "Tỉnh Kỳ Trước" not in page
    assert "Tỉnh Theo Quý" not in page


def test_summary_counts_ranked_units_and_bands(page):
    assert _table(page, "id", "phan-bo-xep-loai") == [
        ["Xếp loại", "Tỉnh, thành phố", "Bộ, ngành"],
        ["Xuất sắc", "1", "0"],
        ["Tốt", "2", "1"],
        ["Khá", "0", "1"],
        ["Trung bình", "1", "0"],
        ["Yếu", "0", "0"],
    ]


def test_biggest_movers_come_first_with_the_criteria_that_moved_them(page):
    movers = _section(page, "bien-dong")
    headings = [html_lib.unescape(text) for text in re.findall(r"<h3>(.*?)</h3>", movers)]
    # Hà Nội did not move (0,00) and is not a mover; Cao Bằng has no previous total.
    assert headings == [
        f"{SCRIPT_NAME}: 93,00 → 64,36 điểm (-28,64)",
        "Tỉnh An Giang: 80,00 → 85,50 điểm (+5,50)",
        "Bộ Công Thương: 75,00 → 72,00 điểm (-3,00)",
        "Tỉnh Bắc Ninh: 90,10 → 92,83 điểm (+2,73)",
        "Bộ Tư pháp: 80,50 → 81,20 điểm (+0,70)",
    ]
    # The three largest of the four criteria that moved, split into numerator and denominator effects.
    assert _table(page, "data-unit-id", "P04")[1:] == [
        ["Tỷ lệ hồ sơ giải quyết đúng hạn ON_TIME_HANDLING", "TDGQ", "90/100", "8/80", "20,00", "0,00", "-20,00",
         "-18,00", "-2,00"],
        ["Tỷ lệ số hóa kết quả giải quyết DIGITISED_RESULTS", "MDSH", "80/100", "34/100", "16,55", "7,55", "-9,00",
         "-9,00", "0,00"],
        ["Tỷ lệ TTHC công bố đúng hạn PUBLISH_ON_TIME", "CKMB", "4/6", "5/6", "4,50", "5,00", "+0,50", "+0,75",
         "-0,25"],
    ]
    assert "Tên cũ không còn áp dụng" not in page
    assert "kỳ trước tính lại từ các đơn vị tiền thân" in movers
    chart = _chart(page, "movers")
    assert re.findall(r">([+-]\d+,\d\d)</text>", chart) == ["-28,64", "+5,50", "-3,00", "+2,73", "+0,70"]


def test_heat_map_shows_each_group_as_a_share_of_the_groups_maximum(page):
    chart = _chart(page, "heatmap")
    assert [html_lib.unescape(label) for label in re.findall(r'font-weight="600">([A-Z]{4} \(\d+\))<', chart)] == [
        "CKMB (18)", "TDGQ (20)", "CLGQ (12)", "TTTT (10)", "MDSH (22)", "MDHL (18)",
    ]
    # 15,82 of 18 = 87,9 %.
    assert "Tỉnh Bắc Ninh — Công khai, minh bạch: 15,82/18 điểm (88%)" in chart
    assert "Tỉnh Cao Bằng — Số hóa hồ sơ: 0,00/22 điểm (0%)" in chart
    assert "Bộ Công Thương — Mức độ hài lòng: 14,00/18 điểm (78%)" in chart


def test_group_maxima_come_from_the_months_criterion_values(tmp_path):
    warehouse = build_marts(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.fct_criterion_values set max_points = 14 where criterion_code = 'DOSSIER_SYNC'")
    page = _render(warehouse, MONTH, QUALITY)
    assert "Tỉnh Bắc Ninh — Công khai, minh bạch: 15,82/20 điểm (79%)" in _chart(page, "heatmap")
    assert _table(page, "data-peer-group", "provinces")[0][7] == "CKMB /20"


def test_province_bars_follow_the_ranking_and_take_the_band_colour(page):
    chart = _chart(page, "ranking")
    labels = [html_lib.unescape(label) for label in re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', chart)]
    assert labels == ["1. Tỉnh Bắc Ninh", "2. Thành phố Hà Nội", "2. Tỉnh An Giang", "4. Tỉnh <script>alert(1)</script>…"]
    bars = re.findall(r'<rect x="250" y="[\d.]+" width="([\d.]+)" height="14" fill="(#[0-9a-f]{6})"', chart)
    # 470 px for the 100 points the groups are worth.
    assert bars == [("436.3", "#1b7837"), ("401.9", "#5aae61"), ("401.9", "#5aae61"), ("302.5", "#e66101")]


def test_reconciliation_summary_counts_agreement_and_unmatched_units(page):
    rows = dict(_table(page, "id", "bang-doi-soat"))
    assert rows == {
        "Số dòng đối soát (đơn vị × tiêu chí)": "5",
        "Tỷ lệ điểm tính từ hồ sơ khớp với điểm Cổng công bố": "66,7% (2/3)",
        "Chênh lệch lớn nhất |điểm từ hồ sơ − điểm công bố|": "0,45",
        "Tỷ lệ điểm tính lại từ số liệu Cổng khớp với điểm công bố": "100,0% (3/3)",
        "Chênh lệch lớn nhất |điểm tính lại − điểm công bố|": "0,00",
        "Đơn vị ghép theo tên (cần rà soát)": "1",
        "Đơn vị Cổng công bố nhưng không có trong danh mục đơn vị": "1",
    }
    assert "Chỉ có trong kết quả đánh giá của Cổng (giữ nguyên số liệu công bố): Sở Thông tin lạ." in page


def test_quality_notes_list_failed_checks_first_anomalies_and_quarantine(page):
    notes = _section(page, "chat-luong")
    assert "Kiểm tra (1 đạt, 1 không đạt)" in notes
    assert _table(page, "id", "bang-kiem-tra") == [
        ["Kiểm tra", "Kết quả", "Chi tiết"],
        ["<img src=x onerror=alert(2)> Mã đơn vị", "Không đạt", "3 mã không có trong danh mục"],
        ["Số hồ sơ khớp với báo cáo tổng hợp", "Đạt", "12.345 hồ sơ"],
    ]
    assert _table(page, "id", "bang-bat-thuong")[1:] == [["Tỉnh Lào Cai", "Hồ sơ tiếp nhận", "1.200", "300", "-75,0%"]]
    assert "Bản ghi bị cách ly (1.267)" in notes
    assert _table(page, "id", "bang-cach-ly")[1:] == [
        ["dossiers", "invalid_date", "17"],
        ["petitions", "missing_unit", "1.250"],
    ]


def test_names_with_markup_are_shown_as_text_never_as_markup(page):
    # The page has no script at all, so any "<script" would be the unit's name let through.
    assert "<script" not in page
    assert "<img" not in page
    assert "Tỉnh &lt;script&gt;alert(1)&lt;/script&gt; Lào Cai" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_page_needs_nothing_from_the_network(page):
    assert re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, flags=re.IGNORECASE) == []
    assert "http://" not in page
    assert "https://" not in page
    for external in ("<link", "<script", "<iframe", "@import", "url("):
        assert external not in page
    assert page.count('class="chart"') == 3


def test_first_month_without_a_previous_period_renders_without_changes(tmp_path):
    page = _render(build_marts(tmp_path / "warehouse.duckdb", with_previous=False), MONTH, QUALITY)
    assert "Chưa có kỳ trước để so sánh." in page
    assert "Đây là kỳ đầu tiên có dữ liệu: chưa có kỳ trước để so sánh." in page
    assert 'data-chart="movers"' not in page
    first = _table(page, "data-peer-group", "provinces")[1]
    assert first[:7] == ["1", "Tỉnh Bắc Ninh", "92,83", "Xuất sắc", "—", "—", "—"]


def test_month_without_any_data_renders_empty_sections(warehouse):
    page = _render(warehouse, "2024-01", QualitySummary())
    assert page.count("Không có đơn vị nào trong tháng này.") == 2
    assert "Không có số liệu Cổng công bố cho tháng này." in page
    assert "Không có kết quả kiểm tra nào được ghi nhận." in page
    assert "Không có bản ghi nào bị cách ly." in page
    assert 'data-chart="ranking"' not in page


@pytest.mark.parametrize("month", ["2025-8", "2025-13", "08/2025", ""])
def test_a_malformed_month_is_refused_with_the_expected_form(warehouse, month):
    with pytest.raises(ValueError, match="YYYY-MM"):
        _render(warehouse, month, QUALITY)


def test_written_report_is_utf8_and_the_same_on_every_render(warehouse, page, tmp_path):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        written = write_report(con, MONTH, QUALITY, tmp_path / "report.html")
    assert written.read_bytes() == page.encode("utf-8")


def _chart(page: str, chart_id: str) -> str:
    match = re.search(rf'<svg [^>]*data-chart="{chart_id}".*?</svg>', page, flags=re.DOTALL)
    assert match, f"no {chart_id} chart"
    return match.group(0)


@pytest.mark.timeout(180)
def test_page_opens_offline_in_headless_chromium_with_tables_and_charts(page, tmp_path):
    if not CHROMIUM.exists():
        browser_unavailable(f"{CHROMIUM} is not installed (`make browser` installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        browser_unavailable(f"playwright is not installed ({error})")

    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    console_errors: list[str] = []
    failed_requests: list[str] = []
    requested: list[str] = []
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            browser_page = context.new_page()
            browser_page.on("console", lambda message: console_errors.append(message.text)
                            if message.type == "error" else None)
            browser_page.on("pageerror", lambda error: console_errors.append(str(error)))
            browser_page.on("requestfailed", lambda request: failed_requests.append(request.url))
            browser_page.on("request", lambda request: requested.append(request.url))
            browser_page.goto(report.as_uri(), wait_until="load")

            assert browser_page.title() == "Bộ chỉ số phục vụ người dân, doanh nghiệp — tháng 08/2025"
            sizes = {}
            for selector in ("table[data-peer-group=provinces]", "table[data-peer-group=ministries]",
                             "svg[data-chart=ranking]", "svg[data-chart=heatmap]", "svg[data-chart=movers]"):
                box = browser_page.locator(selector).bounding_box()
                assert box is not None, f"{selector} is not rendered"
                sizes[selector] = (box["width"], box["height"])
            # The unit's name is shown to the reader as text.
            provinces = browser_page.locator("table[data-peer-group=provinces]").inner_text()
            assert SCRIPT_NAME in provinces
            ARTIFACTS.mkdir(exist_ok=True)
            screenshot = ARTIFACTS / f"report-{MONTH}.png"
            browser_page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()

    print(f"report screenshot: {screenshot}")
    assert all(width > 0 and height > 0 for width, height in sizes.values()), sizes
    assert console_errors == []
    assert failed_requests == []
    assert requested == [report.as_uri()]
    assert screenshot.stat().st_size > 10_000
    shutil.rmtree(profile, ignore_errors=True)
