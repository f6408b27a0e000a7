"""Vietnam working-day calendar, 2022-2027.

Working days are Monday to Friday, minus public holidays (including the Tết break and substituted days off as
announced each year), plus official make-up working days (Saturdays worked in exchange for a bridging day off).

Public holidays come from the ``holidays`` package (``country_holidays('VN')``). The package knows the statutory
holidays, the "observed" days when a holiday falls on a weekend and the substituted days off of some years, but it
does not list the make-up working Saturdays themselves, and it lacks some announced swaps. Those are kept by hand in
``_MANUAL_DAYS_OFF`` and ``_MAKEUP_WORKDAYS`` below, each with the public text it comes from.

Outside 2022-2027 the calendar falls back to Monday-Friday minus the package's holidays (no make-up days).

``add_working_days`` and ``working_days_between`` are vectorised over numpy arrays and follow the semantics of
``numpy.busday_offset`` (with ``roll='forward'`` for n >= 0 and ``roll='backward'`` for n < 0) and
``numpy.busday_count`` respectively, but count make-up Saturdays as working days (which busday_offset cannot do):
they work on a precomputed sorted array of working dates with ``searchsorted``.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

FIRST_YEAR = 2022
LAST_YEAR = 2027
# The precomputed working-day array covers a margin around the seed years so that offsets near the edges work.
_ARRAY_FIRST = np.datetime64("2020-01-01", "D")
_ARRAY_LAST = np.datetime64("2030-12-31", "D")

# Days off announced by the government that the holidays package (0.109) does not list.
_MANUAL_DAYS_OFF: tuple[tuple[str, str, str], ...] = (
    (
        "2026-01-02",
        "Day off (substituted from 10/01/2026)",
        "Government approval of 25/12/2025 and the Ministry of Home Affairs notice of the same day: civil servants "
        "swap Friday 02/01/2026 for Saturday 10/01/2026, New Year break 01/01-04/01/2026",
    ),
)

# Official make-up working days (Saturdays worked in exchange for a bridging day off), 2022-2027.
# 2022 and 2023 had no swaps for civil servants (the breaks were made of holidays and compensatory days only);
# the 2027 schedule has not been announced.
_MAKEUP_WORKDAYS: tuple[tuple[str, str, str], ...] = (
    (
        "2024-05-04",
        "Make-up working day for 2024-04-29",
        "Official Dispatch 2450/VPCP-KGVX (2024) on swapping working days around 30/4 and 1/5/2024: Monday "
        "29/04/2024 off, worked on Saturday 04/05/2024",
    ),
    (
        "2025-04-26",
        "Make-up working day for 2025-05-02",
        "Announcement 6150/TB-BLĐTBXH (2024) on the 2025 Tết and 30/4-1/5 holidays of officials and public "
        "employees: Friday 02/05/2025 off, worked on Saturday 26/04/2025",
    ),
    (
        "2026-01-10",
        "Make-up working day for 2026-01-02",
        "Government approval of 25/12/2025 and the Ministry of Home Affairs notice of the same day: Friday "
        "02/01/2026 off, worked on Saturday 10/01/2026",
    ),
    (
        "2026-08-22",
        "Make-up working day for 2026-08-31",
        "Swap for the 2026 National Day break (as listed by the holidays package, citing thuvienphapluat.vn): "
        "Monday 31/08/2026 off, worked on Saturday 22/08/2026",
    ),
)

_HOLIDAY_SOURCE = "holidays package {version}, country_holidays('VN')"


@lru_cache(maxsize=1)
def holiday_table() -> pd.DataFrame:
    """Every holiday and make-up working day of 2022-2027: columns date, name, kind, source.

    ``kind`` is ``'holiday'`` (a day off, whether or not it falls on a weekend) or ``'makeup_workday'``.
    Sorted by date; one row per (date, kind).
    """
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    lib = holidays.country_holidays("VN", years=years)
    src = _HOLIDAY_SOURCE.format(version=holidays.__version__)
    rows = [(d, name, "holiday", src) for d, name in sorted(lib.items())]
    have = {r[0] for r in rows}
    for d, name, source in _MANUAL_DAYS_OFF:
        day = _dt.date.fromisoformat(d)
        if day not in have:
            rows.append((day, name, "holiday", source))
    for d, name, source in _MAKEUP_WORKDAYS:
        rows.append((_dt.date.fromisoformat(d), name, "makeup_workday", source))
    df = pd.DataFrame(rows, columns=["date", "name", "kind", "source"])
    df["date"] = pd.to_datetime(df["date"]).dt.date
    return df.sort_values(["date", "kind"], kind="stable").reset_index(drop=True)


@lru_cache(maxsize=1)
def _working_dates() -> np.ndarray:
    """Sorted array (datetime64[D]) of every working day from _ARRAY_FIRST to _ARRAY_LAST."""
    table = holiday_table()
    extra_years = [y for y in range(_ARRAY_FIRST.astype(object).year, _ARRAY_LAST.astype(object).year + 1)
                   if not FIRST_YEAR <= y <= LAST_YEAR]
    off = {np.datetime64(d, "D") for d in table.loc[table["kind"] == "holiday", "date"]}
    off |= {np.datetime64(d, "D") for d in holidays.country_holidays("VN", years=extra_years)}
    makeup = np.array(sorted(np.datetime64(d, "D") for d in table.loc[table["kind"] == "makeup_workday", "date"]),
                      dtype="datetime64[D]")
    days = np.arange(_ARRAY_FIRST, _ARRAY_LAST + 1, dtype="datetime64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (3); Monday = 0
    working = weekday < 5
    if off:
        working &= ~np.isin(days, np.array(sorted(off), dtype="datetime64[D]"))
    working |= np.isin(days, makeup)
    out = days[working]
    out.setflags(write=False)
    return out


def _as_days(values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]")
    if arr.dtype == object or arr.dtype.kind in "US":
        return np.array(arr, dtype="datetime64[D]")
    raise TypeError(f"expected dates (datetime64, date or ISO strings), got dtype {arr.dtype}")


def _check_range(days: np.ndarray) -> None:
    if days.size and (days.min() < _ARRAY_FIRST or days.max() > _ARRAY_LAST):
        raise ValueError(f"dates must lie within {_ARRAY_FIRST}..{_ARRAY_LAST}")


def is_working_day(date) -> bool | np.ndarray:
    """True if ``date`` is a working day. Accepts a date, a datetime64, an ISO string or an array of them."""
    scalar = np.ndim(date) == 0
    if isinstance(date, _dt.date):
        date = np.datetime64(date.isoformat()[:10], "D")
    days = _as_days(np.atleast_1d(date))
    _check_range(days)
    wd = _working_dates()
    idx = np.searchsorted(wd, days, side="left")
    res = (idx < wd.size) & (wd[np.minimum(idx, wd.size - 1)] == days)
    return bool(res[0]) if scalar else res


def add_working_days(start_dates, n) -> np.ndarray:
    """Move each start date by ``n`` working days (vectorised; broadcasts ``start_dates`` against ``n``).

    For n >= 0 a start date that is not a working day is first rolled forward to the next working day; for n < 0
    it is rolled backward. So a dossier received on Friday with a 1-working-day limit is due on Monday, and one
    submitted on Saturday with a 1-day limit is due on Tuesday. Returns datetime64[D].
    """
    days = _as_days(start_dates)
    steps = np.asarray(n, dtype=np.int64)
    days, steps = np.broadcast_arrays(days, steps)
    _check_range(days)
    wd = _working_dates()
    fwd = np.searchsorted(wd, days, side="left")  # first working day >= start
    bwd = np.searchsorted(wd, days, side="right") - 1  # last working day <= start
    pos = np.where(steps >= 0, fwd + steps, bwd + steps)
    if pos.size and (pos.min() < 0 or pos.max() >= wd.size):
        raise ValueError("working-day offset leaves the calendar's range")
    return wd[pos]


def working_days_between(a, b) -> np.ndarray:
    """Number of working days in [a, b) (vectorised, like numpy.busday_count; negative if b < a)."""
    da, db = np.broadcast_arrays(_as_days(a), _as_days(b))
    _check_range(da)
    _check_range(db)
    wd = _working_dates()
    return (np.searchsorted(wd, db, side="left") - np.searchsorted(wd, da, side="left")).astype(np.int64)


def working_dates(first, last) -> np.ndarray:
    """All working days in [first, last] as datetime64[D]."""
    wd = _working_dates()
    lo = np.searchsorted(wd, np.datetime64(first, "D"), side="left")
    hi = np.searchsorted(wd, np.datetime64(last, "D"), side="right")
    return wd[lo:hi]


def lunar_new_year(year: int) -> _dt.date:
    """The first day of the lunar year (Tết) in the given year."""
    lib = holidays.country_holidays("VN", years=year, language="en_US")
    for d, name in lib.items():
        if name == "Lunar New Year":
            return d
    raise LookupError(f"no Lunar New Year found for {year}")
