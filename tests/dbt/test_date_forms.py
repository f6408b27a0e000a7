"""Every date field of every record feed accepts every form the contract allows, and quarantines only the rest.

Real systems send a date with or without its time (`yyyyMMdd`, `yyyyMMddHHmmss`) and sometimes with an explicit
offset (`+07:00`). One staging build over a crafted July: for each feed, one record per form with every date field
in that form, and for each date field one record where only that field is malformed. Expected values are written
by hand: Vietnam wall-clock time, a date without its time at midnight (a due date at the end of its day).
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from tests.dbt.test_staging import (
    DEPARTMENT,
    PROCEDURE,
    PROVINCE,
    dossier,
    petition,
    procedure,
    quarantined,
    rows,
    run_dbt,
    unit,
)
from tests.fixtures.raw_builder import write_raw

EXTRACTED_AT = "20250803T020000000000Z"
PERIOD = "2025-07"


def _clock(hour: int, minute: int):
    return lambda day: datetime(day.year, day.month, day.day, hour, minute)


# form -> (how a field of day `day` is written, the Vietnam wall-clock time staging must give, for a deadline)
# Every form that carries a time writes 08:30 in Vietnam.
FORMS = {
    "datetime": (lambda d: f"{d:%Y%m%d}083000", _clock(8, 30), _clock(8, 30)),
    "date": (lambda d: f"{d:%Y%m%d}", _clock(0, 0), lambda d: datetime(d.year, d.month, d.day, 23, 59, 59)),
    "datetime_plus_0700": (lambda d: f"{d:%Y%m%d}083000+07:00", _clock(8, 30), _clock(8, 30)),
    "datetime_t_plus_0700": (lambda d: f"{d:%Y%m%d}T083000+0700", _clock(8, 30), _clock(8, 30)),
    "date_plus_0700": (
        lambda d: f"{d:%Y%m%d}+07:00",
        _clock(0, 0),
        lambda d: datetime(d.year, d.month, d.day, 23, 59, 59),
    ),
    "datetime_utc": (lambda d: f"{d:%Y%m%d}013000Z", _clock(8, 30), _clock(8, 30)),
    "datetime_minus_0130": (lambda d: f"{d:%Y%m%d}000000-01:30", _clock(8, 30), _clock(8, 30)),
    "datetime_plus_0900": (lambda d: f"{d:%Y%m%d}103000+09:00", _clock(8, 30), _clock(8, 30)),
}

MALFORMED = "2025-07-14 08:30"  # a dashed date: neither form of the contract
MALFORMED_VALUES = ["2025-07-14 08:30", "2025071408", "20250714083000+25:00", "14/07/2025"]

# (feed, field) -> (staging model, key column, parsed column, day the field is written on, is a deadline)
DATE_FIELDS = {
    ("dossiers", "NgayNopHoSo"): ("stg_portal__dossiers", "dossier_id", "submitted_at", 1, False),
    ("dossiers", "NgayTiepNhan"): ("stg_portal__dossiers", "dossier_id", "received_at", 2, False),
    ("dossiers", "NgayHenTra"): ("stg_portal__dossiers", "dossier_id", "due_at", 20, True),
    ("dossiers", "NgayKetThucXuLy"): ("stg_portal__dossiers", "dossier_id", "processing_ended_at", 10, False),
    ("dossiers", "NgayTra"): ("stg_portal__dossiers", "dossier_id", "returned_at", 11, False),
    ("dossiers", "NgayTuChoi"): ("stg_portal__dossiers", "dossier_id", "refused_at", 12, False),
    ("dossiers", "NgayCapNhat"): ("stg_portal__dossiers", "dossier_id", "updated_at", 13, False),
    ("dossiers", "QuaTrinhXuLy.ThoiDiem"): ("stg_portal__dossier_status_history", "dossier_id", "changed_at", 3, False),
    ("dossiers", "DanhSachHoSoBoSung.NgayYeuCau"): (
        "stg_portal__dossier_supplements", "dossier_id", "requested_at", 4, False,
    ),
    ("dossiers", "DanhSachHoSoBoSung.NgayHoanThanh"): (
        "stg_portal__dossier_supplements", "dossier_id", "completed_at", 5, False,
    ),
    ("petitions", "NgayGui"): ("stg_portal__petitions", "petition_id", "sent_at", 1, False),
    ("petitions", "NgayTiepNhan"): ("stg_portal__petitions", "petition_id", "received_at", 2, False),
    ("petitions", "NgayChuyenGanNhat"): ("stg_portal__petitions", "petition_id", "last_transferred_at", 3, False),
    ("petitions", "NgayXuLy"): ("stg_portal__petitions", "petition_id", "handled_at", 4, False),
    ("petitions", "NgayTuChoi"): ("stg_portal__petitions", "petition_id", "refused_at", 5, False),
    ("ratings", "NgayDanhGia"): ("stg_portal__ratings", "dossier_id", "rated_at", 15, False),
    ("publication_decisions", "NgayQuyetDinh"): (
        "stg_portal__publication_decisions", "publication_decision_id", "decision_date", 2, False,
    ),
    ("publication_decisions", "DanhSachTTHC.NgayHieuLucVanBan"): (
        "stg_portal__publication_decision_procedures", "publication_decision_id", "legal_basis_effective_date",
        15, False,
    ),
    ("publication_decisions", "DanhSachTTHC.NgayCongKhai"): (
        "stg_portal__publication_decision_procedures", "publication_decision_id", "made_public_at", 5, False,
    ),
    ("units", "HieuLucTu"): ("stg_portal__units", "unit_id", "valid_from", 1, False),
    ("units", "HieuLucDen"): ("stg_portal__units", "unit_id", "valid_to", 31, False),
}
DATE_ONLY_COLUMNS = {"decision_date", "legal_basis_effective_date", "valid_from", "valid_to"}


def _day(number: int) -> date:
    return date(2025, 7, number)


def _written(feed: str, form_or_malformed: str) -> dict[str, str]:
    """Every date field of `feed`: in the form given, or valid except for the one field named after `bad:`."""
    values = {}
    for (each_feed, field), (*_, day, _deadline) in DATE_FIELDS.items():
        if each_feed != feed:
            continue
        if form_or_malformed.startswith("bad:"):
            bad_field, bad_value = form_or_malformed[4:].split("=", 1)
            values[field] = bad_value if field == bad_field else FORMS["datetime"][0](_day(day))
        else:
            values[field] = FORMS[form_or_malformed][0](_day(day))
    return values


def _key(feed: str, variant: str) -> str:
    return f"DATE-{feed}-{variant}"


def _unit_code(index: int) -> str:
    return f"000.00.{60 + index:02d}.H25"


VARIANTS = list(FORMS) + [
    f"bad:{field}={value}"
    for (feed, field) in DATE_FIELDS
    for value in (MALFORMED_VALUES if (feed, field) == ("dossiers", "NgayTiepNhan") else [MALFORMED])
]


def _variants(feed: str) -> list[str]:
    return [v for v in VARIANTS if not v.startswith("bad:") or (feed, v[4:].split("=")[0]) in DATE_FIELDS]


def _dossier(variant: str) -> dict:
    v = _written("dossiers", variant)
    return dossier(
        _key("dossiers", variant),
        NgayNopHoSo=v["NgayNopHoSo"],
        NgayTiepNhan=v["NgayTiepNhan"],
        NgayHenTra=v["NgayHenTra"],
        NgayKetThucXuLy=v["NgayKetThucXuLy"],
        NgayTra=v["NgayTra"],
        NgayTuChoi=v["NgayTuChoi"],
        NgayCapNhat=v["NgayCapNhat"],
        TrangThaiHoSo="10",
        QuaTrinhXuLy=[{"TrangThai": "2", "ThoiDiem": v["QuaTrinhXuLy.ThoiDiem"]}],
        DanhSachHoSoBoSung=[
            {"NgayYeuCau": v["DanhSachHoSoBoSung.NgayYeuCau"], "NgayHoanThanh": v["DanhSachHoSoBoSung.NgayHoanThanh"]}
        ],
    )


def _petition(variant: str) -> dict:
    v = _written("petitions", variant)
    return petition(_key("petitions", variant), **v)


def _rating(variant: str) -> dict:
    return {"MaHoSo": _key("ratings", variant), **_written("ratings", variant), "KetQua": "HAI_LONG"}


def _decision(variant: str) -> dict:
    v = _written("publication_decisions", variant)
    return {
        "SoQuyetDinh": _key("publication_decisions", variant),
        "NgayQuyetDinh": v["NgayQuyetDinh"],
        "CoQuanBanHanh": PROVINCE,
        "LoaiCongBo": "MOI",
        "DanhSachTTHC": [
            {
                "MaTTHC": PROCEDURE,
                "NgayHieuLucVanBan": v["DanhSachTTHC.NgayHieuLucVanBan"],
                "NgayCongKhai": v["DanhSachTTHC.NgayCongKhai"],
            }
        ],
    }


def _units() -> list[dict]:
    return [
        unit(
            _unit_code(index),
            f"UBND xã Thử {index}",
            "COMMUNE_PEOPLE_COMMITTEE",
            PROVINCE,
            **_written("units", variant),
        )
        for index, variant in enumerate(_variants("units"))
    ]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("date_forms")
    # The catalogue: a province and its department, plus one unit per form and one per malformed date field.
    catalogue_units = [
        unit(PROVINCE, "UBND tỉnh Phú Thọ", "PROVINCE"),
        unit(DEPARTMENT, "Sở Y tế - Tỉnh Phú Thọ", "PROVINCIAL_DEPARTMENT", PROVINCE),
    ]
    write_raw(home, "units", PERIOD, EXTRACTED_AT, catalogue_units + _units(), ["MaDinhDanh"])
    write_raw(home, "procedures", PERIOD, EXTRACTED_AT, [procedure(PROCEDURE, DEPARTMENT)], ["MaTTHC", "MaDinhDanh"])
    write_raw(home, "dossiers", PERIOD, EXTRACTED_AT, [_dossier(v) for v in _variants("dossiers")], ["MaHoSo"])
    write_raw(home, "petitions", PERIOD, EXTRACTED_AT, [_petition(v) for v in _variants("petitions")], ["MaPAKN"])
    write_raw(
        home, "ratings", PERIOD, EXTRACTED_AT, [_rating(v) for v in _variants("ratings")], ["MaHoSo", "NgayDanhGia"]
    )
    write_raw(
        home,
        "publication_decisions",
        PERIOD,
        EXTRACTED_AT,
        [_decision(v) for v in _variants("publication_decisions")],
        ["SoQuyetDinh"],
    )
    write_raw(
        home, "report_counts", PERIOD, EXTRACTED_AT, [{"MaDinhDanh": DEPARTMENT, "Ky": PERIOD, "SoHoSoTiepNhan": 1}],
        ["MaDinhDanh", "Ky"],
    )
    run_dbt(home, home / "warehouse.duckdb", "build", "--select", "+staging")
    connection = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def _expected(form: str, column: str, day: int, deadline: bool):
    _, at, at_deadline = FORMS[form]
    value = (at_deadline if deadline else at)(_day(day))
    return value.date() if column in DATE_ONLY_COLUMNS else value


def _staged_value(warehouse, feed: str, field: str, variant: str):
    model, key_column, column, *_ = DATE_FIELDS[(feed, field)]
    key = _unit_code(_variants("units").index(variant)) if feed == "units" else _key(feed, variant)
    found = rows(
        warehouse,
        f"select {column} from staging.{model} where {key_column} = '{key}' and period = '{PERIOD}'",
    )
    assert len(found) == 1, (model, key, found)
    return found[0][column]


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(("feed", "field"), list(DATE_FIELDS))
def test_each_date_field_accepts_each_form(warehouse, feed, field, form):
    *_, day, deadline = DATE_FIELDS[(feed, field)]
    assert _staged_value(warehouse, feed, field, form) == _expected(form, DATE_FIELDS[(feed, field)][2], day, deadline)


@pytest.mark.parametrize(("feed", "field"), list(DATE_FIELDS))
def test_a_malformed_date_field_goes_to_quarantine_with_its_name(warehouse, feed, field):
    variant = f"bad:{field}={MALFORMED}"
    key = _unit_code(_variants("units").index(variant)) if feed == "units" else _key(feed, variant)
    issues = {(record_key.split("|")[0], reason, name) for record_key, reason, name in quarantined(warehouse, feed, PERIOD)}
    assert (key, "unparseable_date", field) in issues
    model, key_column, *_ = DATE_FIELDS[(feed, field)]
    staged = rows(warehouse, f"select * from staging.{model} where {key_column} = '{key}'")
    assert staged == []


@pytest.mark.parametrize("value", MALFORMED_VALUES)
def test_only_values_of_no_allowed_form_are_quarantined(warehouse, value):
    """A dashed date, ten digits, an offset beyond 14 hours, a day-first date: each is unparseable_date."""
    key = _key("dossiers", f"bad:NgayTiepNhan={value}")
    assert (key, "unparseable_date", "NgayTiepNhan") in quarantined(warehouse, "dossiers", PERIOD)


def test_nothing_else_was_quarantined(warehouse):
    """Every record in an allowed form is staged: the quarantine holds the malformed variants and nothing more."""
    for feed in ("dossiers", "petitions", "ratings", "publication_decisions", "units"):
        keys = {record_key.split("|")[0] for record_key, *_ in quarantined(warehouse, feed, PERIOD)}
        if feed == "units":
            expected = {_unit_code(i) for i, v in enumerate(_variants("units")) if v.startswith("bad:")}
        else:
            expected = {_key(feed, v) for v in _variants(feed) if v.startswith("bad:")}
        assert keys == expected, feed

