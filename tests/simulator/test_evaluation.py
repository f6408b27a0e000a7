"""The portal simulator's published evaluation: the method's rules on hand-made records, and the HTTP endpoints."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from orchestration.portal.simulator import evaluation as ev

VN = timezone(timedelta(hours=7))
JUNE = ev.Period("month", 2025, 6)
AFTER = datetime(2025, 8, 15, 9, 0, tzinfo=VN)  # long after June: nothing of June is still running

PROV, DEPT, COMMUNE, OTHER_COMMUNE, MINISTRY = (
    "000.00.00.H01", "000.00.11.H01", "001.00.00.H01", "002.00.00.H01", "000.00.00.G01")
PROC, PROC_FEE, PROC_LONG = "1.000001", "1.000002", "1.000003"


def _units() -> pd.DataFrame:
    rows = [
        (PROV, "UBND tỉnh Mẫu", "PROVINCE", None, None, "p-id"),
        (DEPT, "Sở Y tế - Tỉnh Mẫu", "PROVINCIAL_DEPARTMENT", PROV, None, "d-id"),
        (COMMUNE, "UBND xã Một", "COMMUNE_PEOPLE_COMMITTEE", PROV, 1, "c-id"),
        (OTHER_COMMUNE, "UBND xã Hai", "COMMUNE_PEOPLE_COMMITTEE", PROV, 0, "c2-id"),
        (MINISTRY, "Bộ Mẫu", "MINISTRY", None, None, "m-id"),
    ]
    return pd.DataFrame({
        "code": [r[0] for r in rows], "name": [r[1] for r in rows], "type": [r[2] for r in rows],
        "parent": [r[3] for r in rows], "valid_from": pd.Timestamp("2022-01-01"), "valid_to": pd.NaT,
        "successor": None, "cert": [np.nan if r[4] is None else float(r[4]) for r in rows],
        "id_danh_gia": [r[5] for r in rows]})


def _procedures() -> list[dict]:
    out = []
    for unit in (PROV, DEPT, COMMUNE, OTHER_COMMUNE):
        for code, fee, limit in ((PROC, 0, 3), (PROC_FEE, 1, 5), (PROC_LONG, 0, 15)):
            out.append({"MaTTHC": code, "TenTTHC": "Cấp mẫu", "MaLinhVuc": "LV001", "TenLinhVuc": "Hộ tịch",
                        "CapThucHien": ["XA"], "CoQuanCongBo": PROV, "MaDinhDanh": unit, "MucDoDVC": "TOAN_TRINH",
                        "CoPhiLePhi": fee, "TichHopThanhToan": fee, "KetQuaBanGiay": 0,
                        "DoiTuongThucHien": ["CONG_DAN_VN"], "ThoiHanGiaiQuyet": limit,
                        "TrangThaiCongKhai": "DANG_CONG_KHAI", "DayDuNoiDung": 1})
    return out


_SEQ = iter(range(1, 100_000))


def dossier(received: str, due: str | None, *, unit: str = COMMUNE, proc: str = PROC, history=(), supplements=(),
            **extra) -> dict:
    """A dossier row as the portal serves it; history is a list of (status, time)."""
    hist = [{"TrangThai": "2", "ThoiDiem": received}] + [{"TrangThai": s, "ThoiDiem": t} for s, t in history]
    row = {"MaHoSo": f"{unit}-X-{next(_SEQ):05d}", "MaTTHC": proc, "MaDonViXuLy": unit, "KenhThucHien": "1",
           "LoaiDoiTuong": "1", "NgayNopHoSo": received, "NgayTiepNhan": received, "NgayHenTra": due or "",
           "NgayKetThucXuLy": None, "NgayTra": None, "NgayTuChoi": None,
           "TrangThaiHoSo": hist[-1]["TrangThai"], "QuaTrinhXuLy": hist,
           "DanhSachHoSoBoSung": [{"NgayYeuCau": a, "NgayHoanThanh": b} for a, b in supplements],
           "TaiLieuNop": [{"MaThanhPhanHoSo": "TP01", "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 0}],
           "DanhSachGiayToKetQua": [], "DanhSachLePhi": [], "DuocThanhToanTrucTuyen": "0",
           "TaiKhoanDuocXacThucVoiVNeID": 0, "DSKetNoiCSDL": [], "DongBoDVCQG": 1, "NgayCapNhat": received}
    row.update(extra)
    return row


def evaluate(feeds: dict, period: ev.Period = JUNE, as_of: datetime = AFTER) -> pd.DataFrame:
    feeds = {"procedures": _procedures(), **feeds}
    return ev.evaluate(ev.records_from_rows(_units(), feeds), period, as_of)


def cell(table: pd.DataFrame, unit: str, criterion: str) -> pd.Series:
    hit = table[(table["unit_code"] == unit) & (table["criterion"] == criterion)]
    assert len(hit) == 1, (unit, criterion)
    return hit.iloc[0]


def on_time(table: pd.DataFrame, unit: str = COMMUNE) -> tuple[float, float]:
    r = cell(table, unit, "DOSSIER_ON_TIME")
    return r["numerator"], r["denominator"]


# ---- dossier outcomes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("end", "expected"), [
    ("20250603100000", 1),  # early
    ("20250604170000", 1),  # exactly at the due time
    ("20250605080000", 0),  # late
])
def test_dossier_processed_early_on_time_or_late(end, expected):
    t = evaluate({"dossiers": [dossier("20250602080000", "20250604170000", history=[("9", end)])]})
    assert on_time(t) == (expected, 1)


def test_processed_status_wins_over_a_later_returned_status():
    d = dossier("20250602080000", "20250604170000", history=[("9", "20250604100000"), ("10", "20250610100000")])
    assert on_time(evaluate({"dossiers": [d]})) == (1, 1)


def test_completed_supplement_moves_the_due_date():
    # 2 working days of supplement (03/06 -> 05/06) move the due date from 04/06 to 06/06 17:00
    moved = dossier("20250602080000", "20250604170000", history=[("5", "20250603090000"), ("9", "20250606100000")],
                    supplements=[("20250603090000", "20250605090000")])
    late = dossier("20250602080000", "20250604170000", history=[("9", "20250606100000")])
    assert on_time(evaluate({"dossiers": [moved]})) == (1, 1)
    assert on_time(evaluate({"dossiers": [late]})) == (0, 1)


def test_single_open_supplement_request_ends_the_dossier_at_the_request():
    before_due = dossier("20250602080000", "20250604170000", history=[("5", "20250603090000")],
                         supplements=[("20250603090000", None)])
    after_due = dossier("20250602080000", "20250604170000", history=[("5", "20250605090000")],
                        supplements=[("20250605090000", None)])
    assert on_time(evaluate({"dossiers": [before_due]})) == (1, 1)
    assert on_time(evaluate({"dossiers": [after_due]})) == (0, 1)


def test_dossier_with_two_open_supplement_requests_is_overdue():
    d = dossier("20250602080000", "20250620170000", history=[("5", "20250603090000"), ("5", "20250604090000")],
                supplements=[("20250603090000", None), ("20250604090000", None)])
    assert on_time(evaluate({"dossiers": [d]})) == (0, 1)


def test_withdrawal_ends_a_received_dossier():
    d = dossier("20250602080000", "20250604170000", history=[("7", "20250603090000")])
    t = evaluate({"dossiers": [d]})
    assert on_time(t) == (1, 1)
    # judged at its withdrawal, not as open at the end of June (it would be overdue then)
    assert cell(t, COMMUNE, "AVG_PROCESSING_DAYS")["denominator"] == 1


@pytest.mark.parametrize(("end", "expected"), [
    # received Mon 28/04/2025, limit 3 working days; 30/4, 1/5 and the swapped 2/5 are days off
    ("20250506100000", 1),  # [28/04, 06/05) holds 28/04, 29/04, 05/05: 3 working days (8 calendar days)
    ("20250507100000", 0),  # 4 working days
])
def test_no_due_date_counts_statutory_working_days_across_the_holiday(end, expected):
    d = dossier("20250428080000", None, history=[("9", end)])
    t = evaluate({"dossiers": [d]}, ev.Period("month", 2025, 5))
    assert on_time(t) == (expected, 1)


def test_open_dossier_judged_at_period_end():
    within = dossier("20250625080000", "20250705170000")
    overdue = dossier("20250602080000", "20250620170000")
    assert on_time(evaluate({"dossiers": [within]})) == (1, 1)
    assert on_time(evaluate({"dossiers": [overdue]})) == (0, 1)


def test_open_dossier_of_the_running_period_judged_at_the_clock():
    d = dossier("20250602080000", "20250620170000")
    assert on_time(evaluate({"dossiers": [d]}, as_of=datetime(2025, 6, 18, 9, 0, tzinfo=VN))) == (1, 1)
    assert on_time(evaluate({"dossiers": [d]}, as_of=datetime(2025, 6, 23, 9, 0, tzinfo=VN))) == (0, 1)


def test_dossier_open_at_period_start_counts_and_one_ended_before_does_not():
    still_open = dossier("20250520080000", "20250610170000", history=[("9", "20250605100000")])
    ended_before = dossier("20250520080000", "20250610170000", history=[("9", "20250528100000")])
    assert on_time(evaluate({"dossiers": [still_open, ended_before]})) == (1, 1)


def test_malformed_records_are_excluded():
    good = dossier("20250602080000", "20250604170000", history=[("9", "20250603100000")])
    bad_date = dossier("2025-06-02", "20250604170000")
    unknown = dossier("20250602080000", "20250604170000", proc="9.123456")
    negative = dossier("20250602080000", "20250604170000", proc=PROC_FEE,
                       DanhSachLePhi=[{"MaPhiLePhi": "LP1", "Gia": -1000}])
    t = evaluate({"dossiers": [good, dict(good), bad_date, unknown, negative]})
    assert on_time(t) == (1, 1)


# ---- rollup, inheritance, zero denominators ---------------------------------------------------------------------


def test_province_is_computed_over_its_descendants_records_not_an_average():
    ok = [("9", "20250603100000")]
    late = [("9", "20250610100000")]
    rows = [dossier("20250602080000", "20250604170000", history=ok),
            dossier("20250602080000", "20250604170000", unit=DEPT, history=ok),
            dossier("20250602080000", "20250604170000", unit=DEPT, history=late),
            dossier("20250602080000", "20250604170000", unit=DEPT, history=late)]
    t = evaluate({"dossiers": rows})
    assert on_time(t, DEPT) == (1, 3)
    prov = cell(t, PROV, "DOSSIER_ON_TIME")
    assert (prov["numerator"], prov["denominator"]) == (2, 4)
    assert prov["points"] == 10.0  # 20 x 2/4 (the average of 1/1 and 1/3 would give 13.33)
    assert cell(t, DEPT, "DOSSIER_ON_TIME")["points"] == 6.67  # 20 x 1/3 rounded half up


def _decision(no: str, day: str, issuer: str, items: list[tuple[str, str, str | None]]) -> dict:
    return {"SoQuyetDinh": no, "NgayQuyetDinh": day, "CoQuanBanHanh": issuer, "LoaiCongBo": "MOI",
            "DanhSachTTHC": [{"MaTTHC": c, "NgayHieuLucVanBan": e, "NgayCongKhai": p} for c, e, p in items]}


def test_publication_on_time_is_computed_for_the_province_and_inherited_by_a_commune():
    decisions = [
        # 10/06 + 5 working days = 17/06: on time; effective 16/06: late
        _decision("1/2025/QĐ-UBND-H01", "20250610", PROV, [(PROC, "20250617", "20250612090000"),
                                                           (PROC_FEE, "20250616", "20250620090000")]),
        # a procedure late in any decision of the period is late
        _decision("2/2025/QĐ-UBND-H01", "20250611", PROV, [(PROC, "20250612", None)]),
    ]
    t = evaluate({"publication-decisions": decisions})
    prov = cell(t, PROV, "PUBLISH_ON_TIME")
    assert (prov["numerator"], prov["denominator"], prov["points"]) == (0, 2, 0.0)
    upd = cell(t, PROV, "PUBLIC_UPDATE_ON_TIME")
    # public by 10/06 + 5 wd = 17/06: item 1 yes, item 2 no (20/06); decision 2's deadline 18/06 passed unpublished
    assert (upd["numerator"], upd["denominator"]) == (1, 3)
    com = cell(t, COMMUNE, "PUBLIC_UPDATE_ON_TIME")
    assert com["state"] == "inherited"
    assert (com["numerator"], com["denominator"], com["points"]) == (1, 3, 1.33)


def test_zero_denominator_rules_full_zero_and_not_scored():
    t = evaluate({})
    petitions = cell(t, COMMUNE, "PETITION_PROCESSING_ON_TIME")
    assert (petitions["state"], petitions["points"]) == ("full", 6.0)
    payment = cell(t, COMMUNE, "ONLINE_PAYMENT_DOSSIERS")
    assert (payment["state"], payment["points"]) == ("zero", 0.0)
    progress = cell(t, COMMUNE, "DOSSIER_ON_TIME")
    assert (progress["state"], progress["points"]) == ("no_data", 0.0)
    copy = cell(t, COMMUNE, "ELECTRONIC_CERTIFIED_COPY")
    assert (copy["state"], copy["points"]) == ("not_measured", 2.0)


def test_dossier_sync_uses_the_larger_count_and_the_previous_year_fallback():
    rows = [dossier("20250602080000", "20250604170000", unit=DEPT),
            dossier("20250603080000", "20250605170000", unit=DEPT, DongBoDVCQG=0)]
    counts = [{"MaDinhDanh": DEPT, "Ky": "2025-06", "SoHoSoTiepNhan": 5},
              {"MaDinhDanh": COMMUNE, "Ky": "2024-03", "SoHoSoTiepNhan": 120}]
    t = evaluate({"dossiers": rows, "report-counts": counts})
    dept = cell(t, DEPT, "DOSSIER_SYNC")
    assert (dept["numerator"], dept["denominator"], dept["points"]) == (1, 5, 1.2)
    com = cell(t, COMMUNE, "DOSSIER_SYNC")  # nothing in June: 120 / 12 for a month, ratio 0
    assert (com["numerator"], com["denominator"], com["ratio"], com["points"]) == (0, 10, 0, 0)
    other = cell(t, OTHER_COMMUNE, "DOSSIER_SYNC")  # no fallback either
    assert (other["denominator"], other["ratio"], other["state"]) == (0, 0, "zero")


def test_petition_deadlines_in_working_days():
    base = {"MaTTHC": PROC, "PhanLoai": "TTHC", "ThuocThamQuyen": 1, "NgayChuyenGanNhat": None, "NgayTuChoi": None,
            "SoLuotThich": 0, "SoLuotKhongThich": 0, "MaPAKNGoc": None, "HaiLong": None, "TrangThai": "DA_CONG_KHAI",
            "MaDonViXuLy": COMMUNE}
    ok = dict(base, MaPAKN="A", NgayGui="20250602080000", NgayTiepNhan="20250602090000",
              NgayXuLy="20250623090000")  # 02/06 + 15 working days = 23/06
    late = dict(base, MaPAKN="B", NgayGui="20250602080000", NgayTiepNhan="20250602090000",
                NgayXuLy="20250624090000")
    disliked = dict(ok, MaPAKN="C", SoLuotThich=1, SoLuotKhongThich=3)
    repeat = dict(ok, MaPAKN="D", MaPAKNGoc="A")
    t = evaluate({"petitions": [ok, late, disliked, repeat]})
    r = cell(t, COMMUNE, "PETITION_PROCESSING_ON_TIME")
    assert (r["numerator"], r["denominator"]) == (3, 4)
    s = cell(t, COMMUNE, "PETITION_HANDLING_SATISFACTION")
    # first received: A, B, C (D repeats A); A is repeated, B late, C disliked
    assert (s["numerator"], s["denominator"]) == (0, 3)


def test_receiving_satisfaction_subtracts_late_and_dissatisfied_shares():
    rows = [dossier("20250602080000", "20250604170000", history=[("9", "20250603100000")]) for _ in range(8)]
    rows.append(dossier("20250602080000", "20250604170000", history=[("9", "20250610100000")]))
    rows.append(dossier("20250602080000", "20250604170000", history=[("9", "20250603100000")]))
    ratings = [{"MaHoSo": rows[-1]["MaHoSo"], "NgayDanhGia": "20250604100000", "KetQua": "KHONG_HAI_LONG"}]
    r = cell(evaluate({"dossiers": rows, "ratings": ratings}), COMMUNE, "DOSSIER_RECEIVING_SATISFACTION")
    assert (r["numerator"], r["denominator"]) == (8, 10)
    assert r["points"] == 5.33  # target 90%: 6 x 0.8 / 0.9


def test_rule_table_holds_every_number_and_sums_to_100():
    assert sum(ev.GROUP_MAX.values()) == 100
    assert [b.param("min_total") for b in ev.BANDS] == [90, 80, 70, 50, 0]
    assert ev.band_of(89.99) == "Tốt" and ev.band_of(90) == "Xuất sắc" and ev.band_of(49.99) == "Yếu"
    assert ev.round_half_up(1.005) == 1.01 and ev.round_half_up(2.675) == 2.68


def test_department_code():
    assert ev.department_code("000.00.00.H44") == "H44"
    assert ev.department_code("000.00.01.H44") == "H44.01"
    assert ev.department_code("042.00.00.K25") == "K25.042"


def test_columnar_records_match_the_served_json(portal_data):
    from tests.conftest import AS_OF

    period = ev.Period("month", 2025, 7)
    a = ev.evaluate(ev.load_records(portal_data, period, AS_OF), period, AS_OF)
    b = ev.evaluate(ev.load_records(portal_data, period, AS_OF, route="json"), period, AS_OF)
    m = a.merge(b, on=["unit_code", "criterion"])
    assert len(m) == len(a) == len(b)
    for c in ("numerator", "denominator", "points"):
        assert np.allclose(m[f"{c}_x"].fillna(-1), m[f"{c}_y"].fillna(-1))


def test_records_of_a_feed_too_large_to_keep_are_read_a_part_at_a_time(monkeypatch):
    """National feeds regenerate their parts on demand: the evaluation's reading lets each part go once read (so it
    never holds a whole national month), and evaluates exactly as when every part is kept."""
    from orchestration.portal.simulator import generator
    from tests.conftest import AS_OF, TEST_CONFIG

    period = ev.Period("month", 2025, 7)
    monkeypatch.setattr(generator, "CHUNK_DOSSIERS", 1_000)  # several parts at the tiny scale
    kept = ev.evaluate(ev.load_records(generator.PortalData(TEST_CONFIG), period, AS_OF), period, AS_OF)
    monkeypatch.setattr(generator, "KEEP_ROWS", 0)
    # every regenerable part, and at each read of one, how many of them hold their rows
    parts, loaded = [], []
    init, frame = generator._Part.__init__, generator._Part.frame

    def tracked_init(self, loader, rows):
        init(self, loader, rows)
        if loader is not None:
            parts.append(self)

    def tracked_frame(self):
        rows = frame(self)
        loaded.append(sum(p._frame is not None for p in parts))
        return rows

    monkeypatch.setattr(generator._Part, "__init__", tracked_init)
    monkeypatch.setattr(generator._Part, "frame", tracked_frame)
    released = ev.evaluate(ev.load_records(generator.PortalData(TEST_CONFIG), period, AS_OF), period, AS_OF)
    pd.testing.assert_frame_equal(kept, released)
    assert len(parts) > 3 and len(loaded) >= len(parts)  # several parts per feed, each read
    assert max(loaded) == 1  # read one at a time: without the release they pile up


def test_concurrent_requests_for_one_evaluation_compute_it_once(monkeypatch):
    """A client retrying a slow evaluation, or asking its endpoints at once, waits for the one computation."""
    import threading
    import time

    calls = []

    def slow_evaluation(records, period, as_of):
        calls.append(period)
        time.sleep(0.3)
        return object()

    monkeypatch.setattr(ev, "load_records", lambda data, period, as_of: None)
    monkeypatch.setattr(ev, "evaluate_full", slow_evaluation)

    class Data:  # any weak-referenceable object stands for a PortalData here
        pass

    data, results = Data(), []
    threads = [threading.Thread(target=lambda: results.append(ev.evaluation_of(data, JUNE, AFTER)))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 5 and len({id(r) for r in results}) == 1
    ev.evaluation_of(data, ev.Period("month", 2025, 7), AFTER)  # another period is another computation
    assert len(calls) == 2
    assert not [name for name in ev._COMPUTING if name[1] == id(data)]  # no flight left once computed
    ev.evaluation_of(data, JUNE, AFTER)  # cached: no computation, no flight
    assert len(calls) == 2 and not [name for name in ev._COMPUTING if name[1] == id(data)]


def test_simulate_portal_prepares_the_evaluations_it_is_asked_for(simulator, capsys):
    """`dvc-index simulate-portal --prepare-evaluation 2025-07` computes the views of the month, its quarter and
    its year (and the period before each, for scoreDelta) before it listens: a month's extraction asks for all
    three, and no request has to wait for one."""
    from orchestration.cli import build_parser, prepare_evaluations

    args = build_parser().parse_args(["simulate-portal", "--prepare-evaluation", "2025-07"])
    assert args.prepare_evaluation == ["2025-07"]
    # Earlier tests share this simulator and its small LRU: start from nothing cached, so what is asserted is what
    # prepare computed (an LRU entry of June may have been evicted by the quarter and year periods other tests ask).
    ev._VIEWS.pop(simulator.data, None)
    ev._CACHE.pop(simulator.data, None)
    prepare_evaluations(simulator.data, simulator.as_of, args.prepare_evaluation)
    at = ev._local(simulator.as_of).floor("min")
    view = ev._VIEWS[simulator.data][(ev.Period("month", 2025, 7), at)]
    assert set(ev._CACHE[simulator.data]) == {
        (ev.Period("month", 2025, 7), at), (ev.Period("month", 2025, 6), at),
        (ev.Period("quarter", 2025, 3), at), (ev.Period("quarter", 2025, 2), at),
        (ev.Period("year", 2025), at), (ev.Period("year", 2024), at),
    }
    assert set(ev._VIEWS[simulator.data]) == {
        (ev.Period("month", 2025, 7), at), (ev.Period("quarter", 2025, 3), at), (ev.Period("year", 2025), at)
    }
    assert view.prev_groups is not None  # scoreDelta is ready: June was evaluated for it
    assert "prepared 2025-07" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["simulate-portal", "--prepare-evaluation", "July"])
    with pytest.raises(ValueError, match="outside"):  # before the simulator's first month: the CLI says so, exit 2
        prepare_evaluations(simulator.data, simulator.as_of, ["2019-01"])


def test_simulate_portal_refuses_a_month_it_cannot_prepare_before_listening(capsys):
    from orchestration.cli import main

    assert main(["simulate-portal", "--scale", "tiny", "--prepare-evaluation", "2019-01"]) == 2
    err = capsys.readouterr().err
    assert "--prepare-evaluation" in err and "2019-01" in err and "outside" in err


# ---- over HTTP --------------------------------------------------------------------------------------------------


def post(sim, endpoint: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(f"{sim.url}/api/v1/reporting/evaluation/{endpoint}", method="POST",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


MONTH = {"timeType": "month", "year": 2025, "month": 7, "currentPage": 1, "pageSize": 100}
UNIT_KEYS = {"departmentId", "departmentName", "departmentType", "departmentLevel", "totalScore", "totalMaxScore",
             "ratio", "scoreDelta", "metrics"}


@pytest.mark.parametrize("endpoint", ["transparency", "dossier-digitized", "handling-satisfaction"])
def test_metric_endpoints_shape(simulator, endpoint):
    status, body = post(simulator, endpoint, MONTH)
    assert status == 200 and body["code"] == "OK"
    data = body["data"]
    assert set(data["overview"]) >= UNIT_KEYS
    assert len(data["evaluation"]) == data["totalElements"] == 34
    for unit in [data["overview"], *data["evaluation"]]:
        assert set(unit) >= UNIT_KEYS
        scored = [m["score"] for m in unit["metrics"] if m["score"] is not None]
        assert unit["totalScore"] == pytest.approx(sum(scored), abs=1e-9)
        assert unit["totalMaxScore"] == sum(m["maxScore"] for m in unit["metrics"])
        for m in unit["metrics"]:
            assert {"code", "name", "numerator", "denominator", "ratio", "score", "maxScore"} <= set(m)
            if m["ratio"] is not None and m["code"] != "AVG_PROCESSING_DAYS":
                assert 0 <= m["ratio"] <= 100 and round(m["ratio"], 2) == m["ratio"]
    # a province's own subordinates, paginated
    province = data["evaluation"][0]
    status, body = post(simulator, endpoint, {**MONTH, "rootDepartmentId": province["departmentId"], "pageSize": 5})
    assert status == 200
    sub = body["data"]
    assert sub["overview"]["departmentId"] == province["departmentId"]
    assert sub["overview"]["totalScore"] == province["totalScore"]
    assert len(sub["evaluation"]) == 5 and sub["totalPages"] == -(-sub["totalElements"] // 5)


@pytest.mark.parametrize(("endpoint", "counts", "child_score"), [
    ("dvc-progress-tree", ("totalOnTime", "totalReceived", "totalOverdue", "totalCompleted", "avgProcessingDays"),
     "score"),
    ("provide-online-tree", ("partialCount", "fullCount", "authorityCount", "onlineDossierCount",
                             "onlineServiceTotal", "channelOnlineSum", "channelTotalSum"), "totalScore"),
    ("formality-online-payment-tree", ("totalDossierOnlinePaymentSuccess", "totalDossierFinancialObligation",
                                       "totalDossierOnlineFormalityPaymentSuccess", "totalFeeFormality",
                                       "totalFeeDossierFormality"), "totalScore"),
])
def test_tree_endpoints_shape(simulator, endpoint, counts, child_score):
    status, body = post(simulator, endpoint, MONTH)
    assert status == 200
    data = body["data"]
    assert {"departmentId", "departmentName", "departmentCode", "totalScore", "totalMaxScore", *counts} <= set(
        data["parent"])
    assert len(data["children"]) == 34
    for child in data["children"]:
        assert {"departmentId", "departmentName", "departmentCode", "level", child_score, *counts} <= set(child)
        assert child["departmentCode"][0] in "HK" and "." not in child["departmentCode"]
    received = sum(c.get("totalReceived", 0) or 0 for c in data["children"])
    if endpoint == "dvc-progress-tree":
        assert data["parent"]["totalReceived"] == received  # the nation over its provinces' records
        assert all(c["totalOverdue"] == c["totalReceived"] - c["totalOnTime"] for c in data["children"])


def test_service_results_groups_sum_to_totals_and_spread(simulator):
    status, body = post(simulator, "service-results", MONTH)
    assert status == 200
    items = body["data"]["content"]
    assert len(items) == 34
    for it in items:
        assert [g["code"] for g in it["groups"]] == ["CKMB", "TDGQ", "CLGQ", "TTTT", "MDSH", "MDHL"]
        assert it["totalScore"] == pytest.approx(sum(g["score"] for g in it["groups"]), abs=1e-6)
        assert it["band"] in {"Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"}
    totals = [it["totalScore"] for it in items]
    assert max(totals) - min(totals) > 15 and min(totals) > 30 and max(totals) < 100
    status, body = post(simulator, "service-results", {**MONTH, "block": "ministry"})
    assert status == 200 and body["data"]["totalElements"] > 10


def test_quarter_over_http(simulator):
    status, resp = post(simulator, "service-results", {"timeType": "quarter", "year": 2025, "quarter": 3})
    assert status == 200 and resp["data"]["period"] == "2025-Q3" and len(resp["data"]["content"]) == 34


def test_year_is_year_to_date_and_quarter_uses_the_whole_period():
    clock = pd.Timestamp("2025-08-20 10:00")
    assert ev.make_period("year", 2025).months(clock) == [(2025, m) for m in range(1, 9)]
    assert ev.make_period("quarter", 2025, quarter=2).months(clock) == [(2025, 4), (2025, 5), (2025, 6)]
    # a quarter is computed from the records of the whole quarter, not by averaging months
    rows = [dossier("20250402080000", "20250404170000", history=[("9", "20250403100000")]),
            dossier("20250602080000", "20250604170000", history=[("9", "20250610100000")]),
            dossier("20250603080000", "20250605170000", history=[("9", "20250604100000")])]
    t = evaluate({"dossiers": rows}, ev.Period("quarter", 2025, 2))
    assert on_time(t) == (2, 3)


@pytest.mark.parametrize("body", [
    {"timeType": "week", "year": 2025},
    {"timeType": "month", "year": 2025},
    {"timeType": "quarter", "year": 2025, "quarter": 5},
    {**MONTH, "rootDepartmentId": "no-such-unit"},
    {**MONTH, "pageSize": 0},
    {"timeType": "month", "year": 2027, "month": 1},
])
def test_bad_bodies_are_400(simulator, body):
    status, resp = post(simulator, "transparency", body)
    assert status == 400 and resp["code"] == "BAD_REQUEST" and resp["message"]


def test_unknown_evaluation_endpoint_is_400(simulator):
    status, _ = post(simulator, "nonsense", MONTH)
    assert status == 400


def test_prepare_computes_only_the_periods_it_is_asked_for(simulator):
    """The benchmark's simulator at medium and national prepares the month alone (a quarter or a year there reads
    months of records again): `prepare` computes the views of the periods named, each with the period before."""
    ev._VIEWS.pop(simulator.data, None)
    ev._CACHE.pop(simulator.data, None)
    ev.prepare(simulator.data, "2025-07", simulator.as_of, ("month",))
    at = ev._local(simulator.as_of).floor("min")
    assert set(ev._VIEWS[simulator.data]) == {(ev.Period("month", 2025, 7), at)}
    assert set(ev._CACHE[simulator.data]) == {(ev.Period("month", 2025, 7), at), (ev.Period("month", 2025, 6), at)}
