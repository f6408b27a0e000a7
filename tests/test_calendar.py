import datetime as dt

import holidays
import numpy as np

from orchestration import calendar as vncal


def D(s):
    return np.datetime64(s, "D")


def test_table_kinds_and_sources():
    t = vncal.holiday_table()
    assert set(t.columns) == {"date", "name", "kind", "source"}
    assert set(t["kind"]) == {"holiday", "makeup_workday"}
    assert t["source"].str.len().min() > 10
    mk = set(t.loc[t["kind"] == "makeup_workday", "date"])
    assert dt.date(2025, 4, 26) in mk and dt.date(2024, 5, 4) in mk and dt.date(2026, 1, 10) in mk


def test_package_substitutions_are_covered():
    # every "substituted from" day off of the holidays package has its make-up Saturday in the table
    t = vncal.holiday_table()
    mk = set(t.loc[t["kind"] == "makeup_workday", "date"])
    for d, name in holidays.country_holidays("VN", years=range(2022, 2028)).items():
        if "substituted from" in name:
            m, day, y = name.split("from ")[1].rstrip(")").split("/")
            assert dt.date(int(y), int(m), int(day)) in mk, (d, name)


def test_working_days_basic():
    assert vncal.is_working_day(dt.date(2025, 4, 26))  # make-up Saturday
    assert not vncal.is_working_day(dt.date(2025, 5, 2))  # swapped day off
    assert not vncal.is_working_day("2025-01-29")  # Tết
    assert not vncal.is_working_day("2025-07-05")  # ordinary Saturday
    assert vncal.is_working_day("2025-07-07")


def test_add_working_days_across_tet_2025():
    # Wed 22/1/2025 + 5: Thu 23, Fri 24, (Tết 25/1-2/2), Mon 3/2, Tue 4/2, Wed 5/2
    assert vncal.add_working_days(np.array([D("2025-01-22")]), np.array([5]))[0] == D("2025-02-05")
    # across the make-up Saturday 26/4/2025: Thu 24/4 + 2 = Sat 26/4;
    # + 5 = 25, 26 (Sat), 28, 29, (30/4, 1/5, 2/5 off), Mon 5/5
    res = vncal.add_working_days(np.array([D("2025-04-24")] * 2), np.array([2, 5]))
    assert res.tolist() == [dt.date(2025, 4, 26), dt.date(2025, 5, 5)]
    # non-working start rolls forward for n >= 0, backward for n < 0
    assert vncal.add_working_days(D("2025-07-05"), 0) == D("2025-07-07")
    assert vncal.add_working_days(D("2025-07-05"), 1) == D("2025-07-08")
    assert vncal.add_working_days(D("2025-04-27"), -1) == D("2025-04-25")


def test_add_working_days_matches_busday_offset_without_makeup():
    wd = vncal.working_dates("2023-01-01", "2023-12-31")
    hol = vncal.holiday_table()
    h = np.array([np.datetime64(d, "D") for d in hol.loc[hol["kind"] == "holiday", "date"]])
    starts = np.arange(D("2023-01-01"), D("2023-11-01"))
    n = (np.arange(len(starts)) % 25).astype(np.int64)
    ours = vncal.add_working_days(starts, n)
    ref = np.busday_offset(starts, n, roll="forward", holidays=h)
    assert (ours == ref).all()
    assert len(wd) == np.busday_count(D("2023-01-01"), D("2024-01-01"), holidays=h)


def test_working_days_between():
    assert vncal.working_days_between(D("2025-01-20"), D("2025-02-10")) == 10
    # 21-25/4 (5), Sat 26/4 (make-up), 28-29/4 (2); 30/4, 1/5, 2/5 off
    assert vncal.working_days_between(D("2025-04-21"), D("2025-05-05")) == 8
    a = np.array([D("2025-02-10")])
    assert vncal.working_days_between(a, D("2025-01-20"))[0] == -10
