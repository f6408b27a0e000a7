from datetime import datetime

import numpy as np
import pytest

from orchestration.portal.simulator.generator import DATASETS, KEY_FIELDS, PortalData, SimulatorConfig

AS_OF = datetime(2026, 1, 15, 9, 0)


@pytest.fixture(scope="module")
def tiny():
    return PortalData(SimulatorConfig(scale="tiny"))


@pytest.fixture(scope="module")
def tiny_defects():
    return PortalData(SimulatorConfig(scale="tiny", defect_rate=0.05))


def _key(row, ds):
    return "|".join(str(row[k]) for k in KEY_FIELDS[ds])


def test_determinism():
    a = PortalData(SimulatorConfig(scale="tiny"))
    b = PortalData(SimulatorConfig(scale="tiny"))
    for ds in ("dossiers", "petitions", "ratings", "procedures", "publication-decisions"):
        fa, fb = a.feed(ds, "2025-07", AS_OF), b.feed(ds, "2025-07", AS_OF)
        assert fa.rows(0, len(fa)) == fb.rows(0, len(fb))


def test_month_independent_of_history():
    a = PortalData(SimulatorConfig(scale="tiny"))
    a.feed("dossiers", "2025-03", AS_OF)
    b = PortalData(SimulatorConfig(scale="tiny"))
    fa, fb = a.feed("dossiers", "2025-04", AS_OF), b.feed("dossiers", "2025-04", AS_OF)
    assert fa.rows(0, len(fa)) == fb.rows(0, len(fb))


@pytest.mark.parametrize("ds", DATASETS)
def test_total_is_distinct_keys_and_order(tiny_defects, ds):
    f = tiny_defects.feed(ds, "2025-07", AS_OF)
    rows = f.rows(0, len(f))
    assert len(rows) == len(f) >= f.total
    keys = [_key(r, ds) for r in rows]
    assert len(set(keys)) == f.total
    # a duplicate comes right after its original
    dup = f.defects().query("defect == 'duplicate_record'")["record_key"]
    for k in dup:
        i = keys.index(k)
        assert keys[i + 1] == k and rows[i] == rows[i + 1]
    assert not any("_defect_field" in r for r in rows)


def test_defects_rate_and_kinds(tiny_defects):
    f = tiny_defects.feed("dossiers", "2025-07", AS_OF)
    d = f.defects()
    assert set(d.columns) == {"record_key", "defect", "field"}
    assert 0.03 * f.total < len(d) < 0.07 * f.total
    assert set(d["defect"]) == {"duplicate_record", "unparseable_date", "unknown_procedure", "negative_fee"}
    rows = {r["MaHoSo"]: r for r in f.rows(0, len(f))}
    for _, x in d.iterrows():
        r = rows[x["record_key"]]
        if x["defect"] == "negative_fee":
            assert min(fee["Gia"] for fee in r["DanhSachLePhi"]) < 0
        elif x["defect"] == "unparseable_date":
            v = r[x["field"]]
            assert "-" in v or v[4:6] == "13"
        elif x["defect"] == "unknown_procedure":
            assert r["MaTTHC"].startswith("9.")
    for ds in ("petitions", "ratings", "procedures"):
        assert len(tiny_defects.feed(ds, "2025-07", AS_OF).defects()) > 0


def test_no_defects_at_rate_zero():
    p = PortalData(SimulatorConfig(scale="tiny", defect_rate=0.0))
    for ds in DATASETS:
        f = p.feed(ds, "2025-07", AS_OF)
        assert len(f.defects()) == 0
        assert len(f) == f.total


def test_dossiers_active_in_period(tiny):
    f = tiny.feed("dossiers", "2025-07", AS_OF)
    rows = f.rows(0, len(f))
    for r in rows:
        assert r["NgayTiepNhan"] <= "20250731235959"
        last = max(h["ThoiDiem"] for h in r["QuaTrinhXuLy"])
        assert last >= "20250701000000"
        assert r["NgayCapNhat"] >= last
    assert any(r["NgayTiepNhan"] < "20250701" for r in rows)  # carried over from earlier months
    statuses = {r["TrangThaiHoSo"] for r in rows}
    assert {"3", "5", "7", "9", "10"} <= statuses
    assert any(r["NgayHenTra"] == "" for r in rows)
    assert {r["KenhThucHien"] for r in rows} == {"1", "2", "3"}


def test_as_of_truncation(tiny):
    early = datetime(2025, 7, 20, 12, 0)
    f = tiny.feed("dossiers", "2025-07", early)
    rows = f.rows(0, len(f))
    assert rows
    cut = "20250720120000"
    for r in rows:
        assert r["NgayTiepNhan"] <= cut
        assert all(h["ThoiDiem"] <= cut for h in r["QuaTrinhXuLy"])
        assert r["TrangThaiHoSo"] == r["QuaTrinhXuLy"][-1]["TrangThai"]
        for k in ("NgayKetThucXuLy", "NgayTra", "NgayTuChoi"):
            assert r[k] is None or r[k] <= cut
    assert any(r["TrangThaiHoSo"] in ("2", "4") for r in rows)
    late = {r["MaHoSo"]: r for r in tiny.feed("dossiers", "2025-07", AS_OF).rows(0, 10**7)}
    changed = sum(1 for r in rows if r["MaHoSo"] in late and late[r["MaHoSo"]] != r)
    assert changed > 0
    with pytest.raises(ValueError):
        tiny.feed("dossiers", "2025-08", early)
    with pytest.raises(ValueError):
        tiny.feed("nope", "2025-07", AS_OF)


def test_late_synced_records_appear_later():
    p = PortalData(SimulatorConfig(scale="tiny", defect_rate=0.0))
    a = p.feed("dossiers", "2025-07", datetime(2025, 8, 1, 0, 0))
    b = p.feed("dossiers", "2025-07", datetime(2025, 10, 15, 0, 0))
    ka = {r["MaHoSo"] for r in a.rows(0, len(a))}
    rb = b.rows(0, len(b))
    kb = {r["MaHoSo"] for r in rb}
    july = {r["MaHoSo"] for r in rb if r["NgayTiepNhan"].startswith("202507")}
    missing = july - ka
    assert ka <= kb
    assert 0.003 * len(july) < len(missing) < 0.03 * len(july)


def test_units_feed_around_merger(tiny):
    june = tiny.feed("units", "2025-06", AS_OF).rows(0, 10**6)
    july = tiny.feed("units", "2025-07", AS_OF).rows(0, 10**6)
    assert sum(r["LoaiDonVi"] == "PROVINCE" for r in june) == 63
    assert sum(r["LoaiDonVi"] == "PROVINCE" for r in july) == 34
    ended = [r for r in june if r["HieuLucDen"] == "20250630"]
    assert ended and all(r["DonViKeThua"] for r in ended)
    assert not any(r["LoaiDonVi"] == "DISTRICT_PEOPLE_COMMITTEE" for r in july)


def test_report_counts_near_truth(tiny):
    f = tiny.feed("report-counts", "2025-07", AS_OF)
    rows = f.rows(0, len(f))
    kys = {r["Ky"] for r in rows}
    assert len(kys) == 13 and min(kys) == "2024-07"
    d = tiny.feed("dossiers", "2025-07", AS_OF).rows(0, 10**7)
    true = sum(1 for r in d if r["NgayTiepNhan"].startswith("202507"))
    rep = sum(r["SoHoSoTiepNhan"] for r in rows if r["Ky"] == "2025-07")
    assert 0.8 * true < rep < 1.3 * true


def test_quality_drives_on_time(tiny):
    s = tiny.structure().set_index("MaDinhDanh")
    rows = []
    for period in ("2025-03", "2025-04", "2025-05", "2025-06"):
        f = tiny.feed("dossiers", period, AS_OF)
        rows += [r for r in f.rows(0, len(f)) if r["NgayTiepNhan"][:6] == period.replace("-", "")]
    ok, tot = {}, {}
    for r in rows:
        if r["TrangThaiHoSo"] in ("9", "10") and r["NgayHenTra"] and not r["DanhSachHoSoBoSung"]:
            u = s.loc[r["MaDonViXuLy"], "root"]
            tot[u] = tot.get(u, 0) + 1
            ok[u] = ok.get(u, 0) + (r["NgayKetThucXuLy"] <= r["NgayHenTra"])
    prov = [u for u in tot if tot[u] > 100]
    share = np.array([ok[u] / tot[u] for u in prov])
    q = s.loc[prov, "quality"].to_numpy()
    assert np.corrcoef(share, q)[0, 1] > 0.5
    assert share.min() < 0.85 < share.max()
