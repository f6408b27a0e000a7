"""dbt staging over crafted raw extractions: extraction choice, decoding, typing, quarantine and personal data.

One `dbt build` per scenario (module-scoped fixtures), run as a subprocess on a temporary DVC_INDEX_HOME.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.raw_builder import write_raw

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

PROVINCE = "000.00.00.H25"
DEPARTMENT = "000.00.12.H25"
COMMUNE = "000.31.12.H25"
PROCEDURE = "1.000656"
COMMUNE_PROCEDURE = "1.001234"
APPLICANT_NAME = "Nguyễn Thị Hoa"
APPLICANT_ID = "025190001234"
APPLICANT_PHONE = "0912345678"
APPLICANT_ADDRESS = "Số 5, phố Hòa Phong, phường Việt Trì"
PERSONAL_FIELDS = {"chuhoso", "sogiaytochuhoso", "sodienthoai", "diachi"}

EARLY_JUNE = "20250702T010000000000Z"
LATE_JUNE = "20250805T020000000000Z"
FIRST_JULY = "20250803T020000000000Z"
SECOND_JULY = "20250810T020000000000Z"
RESTATED_JUNE = "20250905T020000000000Z"
RESTATED_JULY = "20250906T020000000000Z"


def unit(code, name, kind, parent=None, **extra):
    return {
        "MaDinhDanh": code,
        "TenDonVi": name,
        "LoaiDonVi": kind,
        "MaDinhDanhCha": parent,
        "MaHanhChinh": None,
        "HieuLucTu": "20250701",
        "HieuLucDen": None,
        "DonViKeThua": None,
        "CungCapChungThucDienTu": 0,
        "IdDanhGia": None,
        **extra,
    }


def procedure(code, unit_code, **extra):
    return {
        "MaTTHC": code,
        "TenTTHC": "Cấp giấy phép",
        "MaLinhVuc": "G09-YT",
        "TenLinhVuc": "Y tế",
        "CapThucHien": ["TINH", "XA"],
        "CoQuanCongBo": PROVINCE,
        "MaDinhDanh": unit_code,
        "MucDoDVC": "MOT_PHAN",
        "CoPhiLePhi": 1,
        "TichHopThanhToan": 1,
        "KetQuaBanGiay": 1,
        "DoiTuongThucHien": ["CONG_DAN_VN", "DOANH_NGHIEP"],
        "ThoiHanGiaiQuyet": 15,
        "TrangThaiCongKhai": "DANG_CONG_KHAI",
        "DayDuNoiDung": 1,
        **extra,
    }


def dossier(number, **extra):
    return {
        "MaHoSo": number,
        "MaTTHC": PROCEDURE,
        "MaDonViXuLy": DEPARTMENT,
        "KenhThucHien": "2",
        "LoaiDoiTuong": "1",
        "ChuHoSo": APPLICANT_NAME,
        "SoGiayToChuHoSo": APPLICANT_ID,
        "SoDienThoai": APPLICANT_PHONE,
        "DiaChi": APPLICANT_ADDRESS,
        "NgayNopHoSo": "20250714080000",
        "NgayTiepNhan": "20250714083000",
        "NgayHenTra": "20250804170000",
        "NgayKetThucXuLy": "",
        "NgayTra": None,
        "NgayTuChoi": None,
        "TrangThaiHoSo": "4",
        "QuaTrinhXuLy": [
            {"TrangThai": "2", "ThoiDiem": "20250714083000"},
            {"TrangThai": "4", "ThoiDiem": "20250715090000"},
        ],
        "DanhSachHoSoBoSung": [{"NgayYeuCau": "20250716100000", "NgayHoanThanh": None}],
        "TaiLieuNop": [{"MaThanhPhanHoSo": "TP1", "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 0}],
        "DanhSachGiayToKetQua": [],
        "DanhSachLePhi": [{"MaPhiLePhi": "LP1", "Gia": 15000}],
        "DuocThanhToanTrucTuyen": "1",
        "TaiKhoanDuocXacThucVoiVNeID": 1,
        "DSKetNoiCSDL": [{"MaCSDL": "CSDLQGDC"}],
        "DongBoDVCQG": 1,
        "NgayCapNhat": "20250716100000",
        **extra,
    }


def petition(number, **extra):
    return {
        "MaPAKN": number,
        "MaDonViXuLy": DEPARTMENT,
        "MaTTHC": PROCEDURE,
        "PhanLoai": "TTHC",
        "ThuocThamQuyen": 1,
        "NgayGui": "20250710090000",
        "NgayTiepNhan": "20250710100000",
        "NgayChuyenGanNhat": None,
        "NgayXuLy": "20250720100000",
        "NgayTuChoi": None,
        "TrangThai": "DA_CONG_KHAI",
        "SoLuotThich": 3,
        "SoLuotKhongThich": 1,
        "MaPAKNGoc": None,
        "HaiLong": 1,
        **extra,
    }


def land_catalogue(home: Path, period: str, extracted_at: str) -> None:
    write_raw(
        home,
        "units",
        period,
        extracted_at,
        [
            unit(PROVINCE, "UBND tỉnh Phú Thọ", "PROVINCE"),
            unit(DEPARTMENT, "Sở Y tế - Tỉnh Phú Thọ", "PROVINCIAL_DEPARTMENT", PROVINCE),
            unit(COMMUNE, "UBND xã Hy Cương", "COMMUNE_PEOPLE_COMMITTEE", PROVINCE, CungCapChungThucDienTu=1),
            unit("000.00.13.H25", "Sở Xây dựng", "HAMLET", PROVINCE),  # invalid_enum
            unit("000.00.14.H25", "Sở Tài chính", "PROVINCIAL_DEPARTMENT", PROVINCE, HieuLucTu="2025-07-01"),
        ],
        ["MaDinhDanh"],
    )
    write_raw(
        home,
        "procedures",
        period,
        extracted_at,
        [
            procedure(PROCEDURE, DEPARTMENT),
            procedure(COMMUNE_PROCEDURE, COMMUNE, MucDoDVC="TOAN_TRINH", CoPhiLePhi=0, CapThucHien=["XA"]),
            procedure("1.009999", COMMUNE, MucDoDVC="NUA_VOI"),  # invalid_enum
        ],
        ["MaTTHC", "MaDinhDanh"],
    )


def land_raw(home: Path) -> None:
    """Two periods; June extracted twice (the later one wins); July carries one of each defect."""
    for period, extracted_at in (("2025-06", LATE_JUNE), ("2025-07", FIRST_JULY)):
        land_catalogue(home, period, extracted_at)

    write_raw(
        home,
        "dossiers",
        "2025-06",
        EARLY_JUNE,
        [
            dossier("H25-0601", TrangThaiHoSo="4", NgayTiepNhan="20250610083000"),
            dossier("H25-0602-EARLY-ONLY"),
        ],
        ["MaHoSo"],
    )
    write_raw(
        home,
        "dossiers",
        "2025-06",
        LATE_JUNE,
        [
            dossier("H25-0601", TrangThaiHoSo="10", NgayTiepNhan="20250610083000", NgayTra="20250620150000"),
        ],
        ["MaHoSo"],
    )

    write_raw(
        home,
        "dossiers",
        "2025-07",
        FIRST_JULY,
        [
            dossier("H25-0701"),
            dossier("H25-DUP", KenhThucHien="1"),
            dossier("H25-0702-BAD-DATE", NgayTiepNhan="2025-07-14 08:30"),
            dossier("H25-0703-UNKNOWN-PROC", MaTTHC="9.999999"),
            dossier("H25-0704-NEG-FEE", DanhSachLePhi=[{"MaPhiLePhi": "LP1", "Gia": -5000}]),
            dossier("", NgayTiepNhan="20250714090000"),  # missing_key
            dossier("H25-0705-BAD-STATUS", TrangThaiHoSo="11"),
            dossier("H25-0706-BAD-HISTORY", QuaTrinhXuLy=[{"TrangThai": "2", "ThoiDiem": "2025071408"}]),
            dossier("H25-DUP", KenhThucHien="3"),  # duplicate: a later copy, on the second page
            dossier("H25-0707-NO-ID", SoGiayToChuHoSo=None, ChuHoSo=None),
        ],
        ["MaHoSo"],
        page_size=8,
    )

    write_raw(
        home,
        "dossiers",
        "2025-07",
        SECOND_JULY,
        [
            dossier("H25-0701", TrangThaiHoSo="9", NgayKetThucXuLy="20250801100000"),
            dossier("H25-DUP", KenhThucHien="1"),
            dossier("H25-0702-BAD-DATE", NgayTiepNhan="2025-07-14 08:30"),
            dossier("H25-0703-UNKNOWN-PROC", MaTTHC="9.999999"),
            dossier("H25-0704-NEG-FEE", DanhSachLePhi=[{"MaPhiLePhi": "LP1", "Gia": -5000}]),
            dossier("", NgayTiepNhan="20250714090000"),
            dossier("H25-0705-BAD-STATUS", TrangThaiHoSo="11"),
            dossier("H25-0706-BAD-HISTORY", QuaTrinhXuLy=[{"TrangThai": "2", "ThoiDiem": "2025071408"}]),
            dossier("H25-DUP", KenhThucHien="3"),
            dossier("H25-0707-NO-ID", SoGiayToChuHoSo=None, ChuHoSo=None),
        ],
        ["MaHoSo"],
        page_size=8,
    )

    for period, extracted_at in (("2025-06", LATE_JUNE), ("2025-07", SECOND_JULY)):
        write_raw(
            home,
            "petitions",
            period,
            extracted_at,
            [
                petition(f"PAKN-{period}-1"),
                petition(f"PAKN-{period}-2", MaTTHC=None, PhanLoai="CAN_BO", HaiLong=None),
                petition(f"PAKN-{period}-3", MaTTHC="9.999999"),  # unknown_procedure
                petition(f"PAKN-{period}-4", TrangThai="DA_XONG"),  # invalid_enum
            ],
            ["MaPAKN"],
        )
        write_raw(
            home,
            "ratings",
            period,
            extracted_at,
            [
                {"MaHoSo": "H25-0601", "NgayDanhGia": "20250621090000", "KetQua": "HAI_LONG"},
                {"MaHoSo": "H25-0601", "NgayDanhGia": "20250622090000", "KetQua": "SUPER"},  # invalid_enum
                {
                    "MaHoSo": "H25-0601",
                    "NgayDanhGia": "20250621090000",
                    "KetQua": "RAT_HAI_LONG",
                },  # duplicate
            ],
            ["MaHoSo", "NgayDanhGia"],
        )
        write_raw(
            home,
            "report_counts",
            period,
            extracted_at,
            [
                {"MaDinhDanh": DEPARTMENT, "Ky": period, "SoHoSoTiepNhan": 120},
                {"MaDinhDanh": DEPARTMENT, "Ky": "2024-13", "SoHoSoTiepNhan": 5},  # unparseable_date
            ],
            ["MaDinhDanh", "Ky"],
        )
        write_raw(
            home,
            "publication_decisions",
            period,
            extracted_at,
            [
                {
                    "SoQuyetDinh": f"12/QĐ-UBND-{period}",
                    "NgayQuyetDinh": "20250702000000",
                    "CoQuanBanHanh": PROVINCE,
                    "LoaiCongBo": "SUA_DOI",
                    "DanhSachTTHC": [
                        {
                            "MaTTHC": PROCEDURE,
                            "NgayHieuLucVanBan": "20250715000000",
                            "NgayCongKhai": "20250705100000",
                        },
                        {
                            "MaTTHC": COMMUNE_PROCEDURE,
                            "NgayHieuLucVanBan": "20250715000000",
                            "NgayCongKhai": None,
                        },
                    ],
                },
            ],
            ["SoQuyetDinh"],
        )


def run_dbt(home: Path, duckdb_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DVC_INDEX_HOME": str(home), "DUCKDB_PATH": str(duckdb_path)}
    env.pop("DVC_INDEX_PSEUDONYM_SALT", None)
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(home / "dbt_target"),
        "--log-path",
        str(home / "dbt_logs"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    land_raw(home)
    run_dbt(home, home / "warehouse.duckdb", "build")
    return home


@pytest.fixture(scope="module")
def warehouse(built):
    connection = duckdb.connect(str(built / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def rows(connection, sql: str) -> list[dict]:
    relation = connection.sql(sql)
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def quarantined(warehouse, dataset: str, period: str) -> set[tuple[str, str, str]]:
    return {
        (row["record_key"], row["reason"], row["field"])
        for row in rows(
            warehouse,
            f"select * from staging.stg_portal__quarantine "
            f"where dataset = '{dataset}' and period = '{period}'",
        )
    }


def test_the_build_ran_every_unit_test_of_the_method_and_they_passed(built):
    """The monthly build leaves the unit tests out (orchestration/assets/dbt.py): this build is where CI runs them."""
    results = json.loads((built / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    manifest = json.loads((built / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))
    assert len(unit_tests) == len(manifest["unit_tests"]) > 10
    assert {r["status"] for r in unit_tests} == {"pass"}


def test_latest_extraction_of_each_period_wins(warehouse):
    june = rows(warehouse, "select * from staging.stg_portal__dossiers where period = '2025-06'")
    assert [(r["dossier_id"], r["status"], r["extracted_at"]) for r in june] == [
        ("H25-0601", "result_returned", LATE_JUNE)
    ]
    july_ids = {
        r["extracted_at"]
        for r in rows(warehouse, "select * from staging.stg_portal__dossiers where period = '2025-07'")
    }
    assert july_ids == {SECOND_JULY}


def test_each_malformed_dossier_is_quarantined_with_its_reason(warehouse):
    issues = quarantined(warehouse, "dossiers", "2025-07")
    assert ("H25-0702-BAD-DATE", "unparseable_date", "NgayTiepNhan") in issues
    assert ("H25-0703-UNKNOWN-PROC", "unknown_procedure", "MaTTHC") in issues
    assert ("H25-0704-NEG-FEE", "negative_fee", "DanhSachLePhi.Gia") in issues
    assert ("H25-0705-BAD-STATUS", "invalid_enum", "TrangThaiHoSo") in issues
    assert ("H25-0706-BAD-HISTORY", "unparseable_date", "QuaTrinhXuLy.ThoiDiem") in issues
    assert ("H25-DUP", "duplicate_record", "MaHoSo") in issues
    assert any(reason == "missing_key" and field == "MaHoSo" for _, reason, field in issues)
    assert len(issues) == 7, issues


def test_quarantined_dossiers_are_absent_from_staging_and_its_child_models(warehouse):
    staged = {
        r["dossier_id"]
        for r in rows(
            warehouse, "select dossier_id from staging.stg_portal__dossiers where period = '2025-07'"
        )
    }
    assert staged == {"H25-0701", "H25-DUP", "H25-0707-NO-ID"}
    for child in (
        "dossier_status_history",
        "dossier_supplements",
        "dossier_components",
        "dossier_fees",
        "dossier_database_links",
    ):
        children = {
            r["dossier_id"]
            for r in rows(
                warehouse,
                f"select distinct dossier_id from staging.stg_portal__{child} where period = '2025-07'",
            )
        }
        assert children == staged, child


def test_first_copy_of_a_duplicate_is_kept(warehouse):
    [kept] = rows(warehouse, "select * from staging.stg_portal__dossiers where dossier_id = 'H25-DUP'")
    assert kept["channel"] == "direct"
    [rating] = rows(
        warehouse,
        "select * from staging.stg_portal__ratings "
        "where period = '2025-06' and rated_at = '2025-06-21 09:00:00'",
    )
    assert rating["rating_result"] == "satisfied"
    assert ("H25-0601|20250621090000", "duplicate_record", "MaHoSo|NgayDanhGia") in quarantined(
        warehouse, "ratings", "2025-06"
    )


def test_defects_of_other_datasets_are_quarantined(warehouse):
    assert ("000.00.13.H25", "invalid_enum", "LoaiDonVi") in quarantined(warehouse, "units", "2025-07")
    assert ("000.00.14.H25", "unparseable_date", "HieuLucTu") in quarantined(warehouse, "units", "2025-07")
    assert ("1.009999|000.31.12.H25", "invalid_enum", "MucDoDVC") in quarantined(
        warehouse, "procedures", "2025-06"
    )
    petitions = quarantined(warehouse, "petitions", "2025-07")
    assert petitions == {
        ("PAKN-2025-07-3", "unknown_procedure", "MaTTHC"),
        ("PAKN-2025-07-4", "invalid_enum", "TrangThai"),
    }
    assert ("H25-0601|20250622090000", "invalid_enum", "KetQua") in quarantined(
        warehouse, "ratings", "2025-07"
    )
    assert (f"{DEPARTMENT}|2024-13", "unparseable_date", "Ky") in quarantined(
        warehouse, "report_counts", "2025-06"
    )
    staged_petitions = {
        r["petition_id"]
        for r in rows(
            warehouse, "select petition_id from staging.stg_portal__petitions where period = '2025-07'"
        )
    }
    assert staged_petitions == {"PAKN-2025-07-1", "PAKN-2025-07-2"}


def test_timestamps_are_vietnam_wall_clock_without_time_zone(warehouse):
    [row] = rows(warehouse, "select * from staging.stg_portal__dossiers where dossier_id = 'H25-0701'")
    assert row["received_at"] == datetime(2025, 7, 14, 8, 30)
    assert row["processing_ended_at"] == datetime(2025, 8, 1, 10, 0)
    assert row["returned_at"] is None
    types = dict(
        warehouse.sql(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_portal__dossiers'"
        ).fetchall()
    )
    assert types["received_at"] == "TIMESTAMP"
    [province] = rows(
        warehouse,
        f"select * from staging.stg_portal__units where unit_id = '{PROVINCE}' and period = '2025-07'",
    )
    assert province["valid_from"] == date(2025, 7, 1)
    assert province["valid_to"] is None


def test_enums_and_flags_are_decoded(warehouse):
    [row] = rows(warehouse, "select * from staging.stg_portal__dossiers where dossier_id = 'H25-0701'")
    assert (row["status"], row["channel"], row["applicant_type"], row["online_payment"]) == (
        "processed",
        "online",
        "citizen",
        "national_portal",
    )
    assert row["is_applicant_verified_with_vneid"] is True
    history = rows(
        warehouse,
        "select * from staging.stg_portal__dossier_status_history "
        "where dossier_id = 'H25-0701' order by status_sequence",
    )
    assert [(h["status_sequence"], h["status"]) for h in history] == [(1, "received"), (2, "in_process")]
    [proc] = rows(
        warehouse,
        f"select * from staging.stg_portal__procedures "
        f"where procedure_id = '{PROCEDURE}' and period = '2025-07'",
    )
    assert proc["online_service_level"] == "partial"
    assert proc["implementation_levels"] == ["province", "commune"]
    assert proc["applicant_types"] == ["vietnamese_citizen", "enterprise"]
    assert proc["has_fee"] is True
    [commune] = rows(
        warehouse,
        f"select * from staging.stg_portal__units where unit_id = '{COMMUNE}' and period = '2025-07'",
    )
    assert commune["unit_type"] == "commune_people_committee"
    assert commune["has_electronic_certified_copy_service"] is True


def test_no_personal_data_in_any_table_of_any_schema(warehouse):
    columns = warehouse.sql(
        "select table_schema, table_name, column_name, data_type from information_schema.columns"
    ).fetchall()
    assert columns
    assert not [c for c in columns if c[2].lower() in PERSONAL_FIELDS]
    for schema, table, column, data_type in columns:
        if data_type != "VARCHAR":
            continue
        leaked = warehouse.sql(
            f'select count(*) from "{schema}"."{table}" where "{column}" similar to ?',
            params=[
                ".*(" + "|".join([APPLICANT_ID, APPLICANT_NAME, APPLICANT_PHONE, APPLICANT_ADDRESS]) + ").*"
            ],
        ).fetchall()[0][0]
        assert leaked == 0, (schema, table, column)


def test_applicant_key_is_salted_sha256_of_the_id_number(warehouse):
    [row] = rows(
        warehouse, "select applicant_key from staging.stg_portal__dossiers where dossier_id = 'H25-0701'"
    )
    assert row["applicant_key"] == hashlib.sha256(("dvc-index" + APPLICANT_ID).encode()).hexdigest()
    [no_id] = rows(
        warehouse,
        "select applicant_key from staging.stg_portal__dossiers where dossier_id = 'H25-0707-NO-ID'",
    )
    assert no_id["applicant_key"] is None


def test_publication_decision_procedures_are_one_row_per_entry(warehouse):
    entries = rows(
        warehouse,
        "select * from staging.stg_portal__publication_decision_procedures "
        "where period = '2025-07' order by procedure_sequence",
    )
    assert [(e["procedure_id"], e["legal_basis_effective_date"], e["made_public_at"]) for e in entries] == [
        (PROCEDURE, date(2025, 7, 15), datetime(2025, 7, 5, 10, 0)),
        (COMMUNE_PROCEDURE, date(2025, 7, 15), None),
    ]


@pytest.fixture(scope="module")
def rebuilt(built, tmp_path_factory):
    """The built warehouse, then: June and July restated, July rebuilt alone with its first extraction pinned."""
    home = tmp_path_factory.mktemp("rebuilt")
    shutil.copytree(built / "raw", home / "raw")
    shutil.copy(built / "warehouse.duckdb", home / "warehouse.duckdb")
    write_raw(home, "dossiers", "2025-06", RESTATED_JUNE, [dossier("H25-0601-RESTATED")], ["MaHoSo"])
    write_raw(home, "dossiers", "2025-07", RESTATED_JULY, [dossier("H25-0799-RESTATED")], ["MaHoSo"])
    variables = {
        "period_from": "2025-07",
        "period_to": "2025-07",
        "pinned_extractions": {"dossiers": {"2025-07": FIRST_JULY}},
    }
    run_dbt(
        home,
        home / "warehouse.duckdb",
        "build",
        "--vars",
        json.dumps(variables),
    )
    connection = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_pinned_extraction_is_used_instead_of_the_latest(rebuilt):
    july = rows(
        rebuilt,
        "select dossier_id, extracted_at, status from staging.stg_portal__dossiers "
        "where period = '2025-07' order by dossier_id",
    )
    assert {r["extracted_at"] for r in july} == {FIRST_JULY}
    assert ("H25-0701", "in_process") in {(r["dossier_id"], r["status"]) for r in july}


def test_building_one_month_leaves_other_months_untouched(rebuilt):
    june = rows(
        rebuilt, "select dossier_id, extracted_at from staging.stg_portal__dossiers where period = '2025-06'"
    )
    assert june == [{"dossier_id": "H25-0601", "extracted_at": LATE_JUNE}]


def test_rebuilt_month_replaces_its_quarantine_rows(rebuilt):
    july = rows(
        rebuilt,
        "select extracted_at, count(*) as issues from staging.stg_portal__quarantine "
        "where dataset = 'dossiers' and period = '2025-07' group by extracted_at",
    )
    assert july == [{"extracted_at": FIRST_JULY, "issues": 7}]
