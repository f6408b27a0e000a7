"""Generated dbt seeds: ``python -m orchestration.seeds`` writes ``dbt_project/seeds/calendar_days.csv``.

The working-day calendar lives in ``orchestration/calendar.py`` (the simulator uses it too); the warehouse gets the
same calendar as a seed, one row per day from 2022-01-01 to 2027-12-31, so that SQL counts working days with the
same rules as Python. The output is deterministic: regenerating it gives the same bytes (tests/test_seeds.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from orchestration import calendar as vncal

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
CALENDAR_FIRST = dt.date(vncal.FIRST_YEAR, 1, 1)
CALENDAR_LAST = dt.date(vncal.LAST_YEAR, 12, 31)
CALENDAR_COLUMNS = (
    "calendar_date",
    "is_working_day",
    "day_kind",
    "holiday_name",
    "source",
    "working_day_number",
)


def calendar_rows(first: dt.date = CALENDAR_FIRST, last: dt.date = CALENDAR_LAST) -> list[dict[str, object]]:
    """One row per day of [first, last] with the columns of the ``calendar_days`` seed.

    ``day_kind`` is ``makeup_workday`` (a Saturday worked in exchange for a day off), ``holiday`` (a day off,
    including a holiday that falls on a weekend), ``weekend`` or ``weekday``. ``working_day_number`` is the running
    count of working days from ``first`` up to and including the day, so that the working days in [a, b) are
    ``number(b - 1) - number(a - 1)``.
    """
    table = vncal.holiday_table()
    notes: dict[tuple[dt.date, str], tuple[str, str]] = {}
    for row in table.itertuples(index=False):
        key = (row.date, row.kind)
        if key in notes:  # two names for one day: keep both, in the table's order
            name, source = notes[key]
            notes[key] = (f"{name}; {row.name}", source)
        else:
            notes[key] = (row.name, row.source)
    rows: list[dict[str, object]] = []
    count = 0
    day = first
    while day <= last:
        working = bool(vncal.is_working_day(day))
        if (day, "makeup_workday") in notes:
            kind, (name, source) = "makeup_workday", notes[(day, "makeup_workday")]
        elif (day, "holiday") in notes:
            kind, (name, source) = "holiday", notes[(day, "holiday")]
        else:
            kind, name, source = ("weekend" if day.weekday() >= 5 else "weekday"), "", ""
        count += working
        rows.append(
            {
                "calendar_date": day.isoformat(),
                "is_working_day": "true" if working else "false",
                "day_kind": kind,
                "holiday_name": name,
                "source": source,
                "working_day_number": count,
            }
        )
        day += dt.timedelta(days=1)
    return rows


def calendar_csv(rows: list[dict[str, object]]) -> str:
    """The CSV text of the seed (UTF-8, ``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CALENDAR_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_calendar_seed(seeds_dir: Path = SEEDS_DIR) -> Path:
    """Write ``calendar_days.csv`` into ``seeds_dir`` and return its path."""
    path = Path(seeds_dir) / "calendar_days.csv"
    path.write_text(calendar_csv(calendar_rows()), encoding="utf-8", newline="")
    return path


def main() -> None:
    print(write_calendar_seed())


if __name__ == "__main__":
    main()
