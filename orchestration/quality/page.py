"""The reviewer's quality report of a gate run (index.html), in Vietnamese, one self-contained file.

A reviewer signs a month off by this page, often on a machine without network: its styles are inside the file,
it loads nothing (no script, font or image), and it links only to the run's own files (GX's JSON results,
summary.json). One section per suite of the gate, in the gate's order; each expectation with its verdict, its
severity, what was observed, and for a failure the message that names what is wrong and where, with the rows
behind it. Rendered with autoescaping: unit names and values from the portal never become markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pandas as pd
from babel.numbers import format_decimal
from jinja2 import Environment

from orchestration.html_pages import page_environment
from orchestration.quality.config import QualityConfig
from orchestration.quality.outcomes import CheckOutcome, plain

LOCALE = "vi_VN"
TEMPLATE = "quality.html.j2"
PAGE_NAME = "index.html"
LIST_SHOWN = 10  # items of an observed list shown inline
SEVERITY = {"critical": "Nghiêm trọng", "warning": "Cảnh báo", "info": "Thông tin"}
# the thresholds of QualityConfig, as the reviewer reads them
THRESHOLDS = {
    "quarantine_max_share": "Tỷ lệ bản ghi bị cách ly tối đa của mỗi nguồn",
    "volume_max_ratio": "Số dòng của tháng: tối đa ×r hoặc ÷r trung vị các tháng trước (r)",
    "volume_baseline_months": "Số tháng trước dùng để so sánh số dòng",
    "date_lookback_years": "Ngày sự kiện sớm nhất: số năm trước kỳ",
    "anomaly_volume_ratio": "Biến động hồ sơ tiếp nhận của đơn vị: ×r hoặc ÷r (r)",
    "anomaly_min_dossiers": "Số hồ sơ tối thiểu để so sánh biến động",
    "anomaly_max_points_change": "Biến động tổng điểm tối đa (điểm)",
    "anomalies_block": "Biến động bất thường chặn công bố",
}
ANOMALY_KINDS = {"points": "Tổng điểm", "volume": "Hồ sơ tiếp nhận"}


@dataclass(frozen=True)
class SuiteSection:
    """One suite of the gate and the verdicts of its expectations."""

    name: str
    title: str
    description: str
    batch: str
    checks: Sequence[CheckOutcome]

    @property
    def failed(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.success]

    @property
    def status(self) -> str:
        if any(c.blocking for c in self.checks):
            return "failed"
        return "warning" if self.failed else "passed"


def format_value(value: Any) -> str:
    """A value as a Vietnamese reader writes it: decimal comma, thousands dot, 'không có' for a null; a list
    shows its first LIST_SHOWN items, a mapping its pairs."""
    value = plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "không có"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return format_decimal(value, locale=LOCALE)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.####", locale=LOCALE)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        shown = ", ".join(format_value(v) for v in value[:LIST_SHOWN])
        more = f" … và {len(value) - LIST_SHOWN} giá trị khác" if len(value) > LIST_SHOWN else ""
        return (shown + more) if value else "(trống)"
    return str(value)


def row_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The columns of a failure's rows, in the order they first appear."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return columns


def suite_sections(checks: Sequence[CheckOutcome], suites: Mapping[str, dict]) -> list[SuiteSection]:
    """The checks grouped by suite, in the order the gate ran them. `suites`: each suite's JSON (its meta)."""
    order: dict[str, list[CheckOutcome]] = {}
    for check in checks:
        order.setdefault(check.suite, []).append(check)
    sections = []
    for name, outcomes in order.items():
        meta = suites.get(name, {}).get("meta", {})
        sections.append(SuiteSection(name=name, title=meta.get("title_vi") or name,
                                     description=meta.get("description", ""), batch=outcomes[0].batch,
                                     checks=outcomes))
    return sections


def render_quality_page(
    *, month: str, run_id: str, passed: bool, checks: Sequence[CheckOutcome], suites: Mapping[str, dict],
    notes: Sequence[str], anomalies: pd.DataFrame, config: QualityConfig, duration_seconds: float,
) -> str:
    """The page of one gate run (see the module's docstring)."""
    sections = suite_sections(checks, suites)
    year, number = month.split("-")
    anomaly_rows = [plain(r) for r in anomalies.to_dict(orient="records")] if anomalies is not None else []
    return _environment().get_template(TEMPLATE).render(
        title=f"Báo cáo chất lượng dữ liệu — tháng {number}/{year}",
        month=month,
        run_id=run_id,
        run_time=_run_time(run_id),
        duration=format_value(round(duration_seconds, 1)),
        passed=passed,
        checks=checks,
        blocking=[c for c in checks if c.blocking],
        warnings=[c for c in checks if not c.success and not c.blocking],
        sections=sections,
        notes=list(notes),
        anomalies=anomaly_rows,
        anomaly_kinds=ANOMALY_KINDS,
        thresholds=[(THRESHOLDS.get(k, k), k, v) for k, v in config.as_dict().items()],
        severity=SEVERITY,
    )


def _run_time(run_id: str) -> str:
    try:
        moment = datetime.strptime(run_id, "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return run_id
    return f"{moment:%d/%m/%Y %H:%M:%S} UTC"


@cache
def _environment() -> Environment:
    environment = page_environment("orchestration.quality", value=format_value)
    environment.globals.update(row_columns=row_columns)
    return environment
