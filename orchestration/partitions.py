"""Monthly partitions: one partition per index month, in Vietnam time."""

from __future__ import annotations

import dagster as dg

FIRST_MONTH = "2022-08"
VN_TIMEZONE = "Asia/Ho_Chi_Minh"

# end_offset=1 includes the running month, which the method evaluates at the extraction time.
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_MONTH, timezone=VN_TIMEZONE, end_offset=1, fmt="%Y-%m"
)


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive, as YYYY-MM."""
    y, m = (int(x) for x in first.split("-"))
    ly, lm = (int(x) for x in last.split("-"))
    if (y, m) > (ly, lm):
        raise ValueError(f"--through {last} is before --month {first}")
    months = []
    while (y, m) <= (ly, lm):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months
