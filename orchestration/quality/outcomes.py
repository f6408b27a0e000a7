"""Turn GX validation results into check outcomes with a message that says what is wrong and where.

Each expectation of the suites carries `meta.check` (a stable name, e.g. `fct_unit_scores.groups_sum_to_total`)
and may carry `meta.row_template`, formatted with each failing row (the unexpected index columns and the value,
as GX reports them with result_format COMPLETE) and the run's suite parameters, e.g. "unit 000.00.12.H25
(month 2025-07-01, records): the groups sum to 80.5 but total_points is 81.5".
"""

from __future__ import annotations

import math
import string
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal

import numpy as np

MESSAGE_ROWS = 5
OFFENDING_ROWS = 50


@dataclass
class CheckOutcome:
    """One expectation's verdict on one batch."""

    check: str
    suite: str
    batch: str
    success: bool
    severity: str
    description: str
    message: str = ""
    unexpected_count: int | None = None
    element_count: int | None = None
    offending: list[dict] = field(default_factory=list)
    # for the reviewer's page: the check's Vietnamese title (meta.title_vi) and what GX observed, as plain JSON
    title_vi: str = ""
    observed: object = None

    @property
    def blocking(self) -> bool:
        return not self.success and self.severity == "critical"

    def as_dict(self) -> dict:
        return asdict(self)


class _Formatter(string.Formatter):
    """str.format that prints nulls as 'null', drops a numeric format spec for text, and never raises on a key."""

    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "?") if isinstance(key, str) else super().get_value(key, args, kwargs)

    def format_field(self, value, format_spec):
        if is_null(value):
            return "null"
        if format_spec and not isinstance(value, int | float):
            format_spec = ""
        if not format_spec and isinstance(value, float):
            return f"{value:g}"
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def plain(value):
    """A JSON-friendly Python value for numpy scalars, decimals, dates and non-finite floats."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _raw(value):
    return value.item() if isinstance(value, np.generic) else value


def format_row(template: str, row: dict, parameters: dict) -> str:
    return _FORMATTER.format(template, **(parameters | {k: _raw(v) for k, v in row.items()}))


def _exception_message(exception_info) -> str | None:
    """GX 1.x puts an expectation's error either at the top level or keyed by metric."""
    if not exception_info:
        return None
    candidates = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in candidates:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message") or "unknown error").splitlines()[0]
    return None


def outcomes_of(validation_result, suite: str, batch: str, parameters: dict) -> list[CheckOutcome]:
    """One CheckOutcome per expectation of a suite's validation result."""
    outcomes = []
    for result in validation_result.results:
        config = result.expectation_config
        meta = config.meta or {}
        severity = getattr(config.severity, "value", str(config.severity))
        details = result.result or {}
        outcome = CheckOutcome(
            check=meta.get("check", config.type),
            suite=suite,
            batch=batch,
            success=bool(result.success),
            severity=severity,
            description=config.description or config.type,
            unexpected_count=details.get("unexpected_count"),
            element_count=details.get("element_count"),
            title_vi=meta.get("title_vi", ""),
            observed=_observed(details),
        )
        if not outcome.success:
            outcome.message, outcome.offending = _explain(config, details, result.exception_info, meta, parameters)
        outcomes.append(outcome)
    return outcomes


def _observed(details: dict):
    """What the check measured, small enough for a page: GX's observed value, else the unexpected values (at most
    OFFENDING_ROWS of them)."""
    if "observed_value" in details:
        return plain(details["observed_value"])
    if details.get("partial_unexpected_list"):
        return plain(list(details["partial_unexpected_list"])[:OFFENDING_ROWS])
    return None


def _explain(config, details: dict, exception_info, meta: dict, parameters: dict) -> tuple[str, list[dict]]:
    description = config.description or config.type
    error = _exception_message(exception_info)
    if error:
        return f"{description}: the check could not run ({error})", []
    rows = details.get("unexpected_index_list")
    if rows:
        template = meta.get("row_template")
        lines = []
        for row in rows:
            line = format_row(template, row, parameters) if template else ", ".join(f"{k}={plain(v)}" for k, v in row.items())
            if line not in lines:
                lines.append(line)
        shown = "; ".join(lines[:MESSAGE_ROWS])
        more = f"; and {len(lines) - MESSAGE_ROWS} more" if len(lines) > MESSAGE_ROWS else ""
        return f"{description}: {shown}{more}", [plain(dict(r)) for r in rows[:OFFENDING_ROWS]]
    if "partial_missing_list" in details:  # e.g. expect_column_distinct_values_to_contain_set
        missing = [plain(m) for m in details["partial_missing_list"]]
        count = details.get("missing_count") or len(missing)
        shown = ", ".join(str(m) for m in missing[: MESSAGE_ROWS * 2])
        more = f" and {count - min(len(missing), MESSAGE_ROWS * 2)} more" if count > MESSAGE_ROWS * 2 else ""
        return f"{description}: missing {shown}{more}", [{"missing": m} for m in missing[:OFFENDING_ROWS]]
    observed = details.get("observed_value")
    if config.type == "expect_table_row_count_to_be_between":
        return f"{description}: the batch has {observed} rows", []
    return f"{description}: observed {plain(observed)}", []
