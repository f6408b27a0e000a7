"""The month a gate run judges, and the dates its checks are relative to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from orchestration.history import shift_month

# Province-level units in force, by the date the count took effect (the merger of 1 July 2025: 63 -> 34).
PROVINCE_COUNTS: tuple[tuple[date, int], ...] = ((date(2000, 1, 1), 63), (date(2025, 7, 1), 34))


@dataclass(frozen=True)
class Month:
    """A publication month: `label` YYYY-MM, the staging `period`; `start` the marts' period_start."""

    label: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.label):
            raise ValueError(f"month must be YYYY-MM, not {self.label!r}")

    @property
    def start(self) -> date:
        return date(int(self.label[:4]), int(self.label[5:]), 1)

    @property
    def next_start(self) -> date:
        """First day of the next month: the period is [start, next_start)."""
        return Month(shift_month(self.label, 1)).start

    @property
    def quarter_start(self) -> date:
        return date(self.start.year, 3 * ((self.start.month - 1) // 3) + 1, 1)

    @property
    def year_start(self) -> date:
        return date(self.start.year, 1, 1)

    def shifted(self, months: int) -> Month:
        return Month(shift_month(self.label, months))

    def previous(self, count: int) -> list[Month]:
        """The `count` months before this one, most recent first."""
        return [self.shifted(-k) for k in range(1, count + 1)]

    def periods(self) -> list[tuple[str, date]]:
        """(period_type, period_start) of the marts' periods that contain this month: its month, quarter, year."""
        return [("month", self.start), ("quarter", self.quarter_start), ("year", self.year_start)]

    @property
    def expected_province_count(self) -> int:
        return [count for since, count in PROVINCE_COUNTS if since <= self.start][-1]
