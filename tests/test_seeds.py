import csv
import datetime as dt

from orchestration import seeds


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return {r["calendar_date"]: r for r in csv.DictReader(f)}


def test_regenerating_the_calendar_seed_gives_the_committed_file(tmp_path):
    committed = (seeds.SEEDS_DIR / "calendar_days.csv").read_bytes()
    fresh = seeds.write_calendar_seed(tmp_path).read_bytes()
    assert fresh == committed
    assert seeds.write_calendar_seed(tmp_path).read_bytes() == fresh


def test_calendar_seed_covers_2022_to_2027_one_row_a_day():
    rows = seeds.calendar_rows()
    assert [r["calendar_date"] for r in rows][:1] == ["2022-01-01"]
    assert rows[-1]["calendar_date"] == "2027-12-31"
    assert len(rows) == (dt.date(2027, 12, 31) - dt.date(2022, 1, 1)).days + 1
    assert list(rows[0]) == list(seeds.CALENDAR_COLUMNS)


def test_tet_2025_is_a_holiday_break_and_not_counted(tmp_path):
    rows = _rows(seeds.write_calendar_seed(tmp_path))
    for day in ("2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31"):
        assert rows[day]["is_working_day"] == "false", day
        assert rows[day]["day_kind"] == "holiday", day
        assert rows[day]["holiday_name"]
    assert rows["2025-01-24"]["is_working_day"] == "true"
    assert rows["2025-02-03"]["is_working_day"] == "true"
    # the whole break (27/01 to 02/02) adds no working day
    assert int(rows["2025-02-02"]["working_day_number"]) == int(rows["2025-01-24"]["working_day_number"])
    assert int(rows["2025-02-03"]["working_day_number"]) == int(rows["2025-01-24"]["working_day_number"]) + 1


def test_makeup_saturday_is_a_working_day_and_its_swap_is_not(tmp_path):
    rows = _rows(seeds.write_calendar_seed(tmp_path))
    saturday = rows["2025-04-26"]
    assert saturday["day_kind"] == "makeup_workday"
    assert saturday["is_working_day"] == "true"
    assert "6150/TB-BLĐTBXH" in saturday["source"]
    assert int(saturday["working_day_number"]) == int(rows["2025-04-25"]["working_day_number"]) + 1
    assert rows["2025-05-02"]["is_working_day"] == "false"
    assert rows["2025-05-02"]["day_kind"] == "holiday"
    assert rows["2025-07-05"]["day_kind"] == "weekend"


def test_working_day_numbers_agree_with_the_python_calendar():
    from orchestration import calendar as vncal

    rows = seeds.calendar_rows()
    by_day = {r["calendar_date"]: int(r["working_day_number"]) for r in rows}
    for a, b in (("2025-01-20", "2025-02-10"), ("2024-04-25", "2024-05-10"), ("2026-12-28", "2027-01-05")):
        prev_a = (dt.date.fromisoformat(a) - dt.timedelta(days=1)).isoformat()
        prev_b = (dt.date.fromisoformat(b) - dt.timedelta(days=1)).isoformat()
        assert by_day[prev_b] - by_day[prev_a] == int(vncal.working_days_between(a, b))
