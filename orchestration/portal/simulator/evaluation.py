"""The portal's own published evaluation (PORTAL_API.md section 2), computed by the simulator from its own records.

This is the second, independent implementation of METHODOLOGY.md (rule table ``portal-2025``): it never reads the
project's dbt models, and the warehouse is reconciled against it. Every number of the method lives in ``RULES``
below; the code only reads it.

Layers:

- ``Records``: plain DataFrames of cleaned records (units, procedures, decision items, dossiers, supplements,
  petitions, ratings, report counts). ``records_from_rows`` builds them from the JSON rows the portal serves (the
  contract); ``load_records`` builds the same frames from the generator's columnar frames (fast path, verified equal
  to the JSON path by the tests).
- ``evaluate(records, period, as_of)``: the pure computation; returns one row per (unit, criterion).
- ``evaluation_table(data, period, as_of)``: the same for a ``PortalData``, cached per (period, as_of) in a small LRU
  and computed once however many requests ask at a time; ``prepare`` computes a month before a server listens
  (a national month takes minutes).
- ``respond(data, endpoint, body, as_of)``: the JSON ``data`` of ``POST /api/v1/reporting/evaluation/{endpoint}``.

Record cleaning (what a careful warehouse does, documented because the reconciliation depends on it):

- Duplicate rows: one row per key is kept (the last served; duplicates are identical).
- Dates must be ``yyyyMMddHHmmss`` (``yyyyMMdd`` for date fields); empty or null means "no date". A record with an
  unparseable date in any of its date fields (including its history and supplement lists) is excluded whole; a
  publication decision with an unparseable ``NgayQuyetDinh`` is excluded whole.
- Procedure codes must look like national codes (``[123].dddddd``). A catalogue row with another code is excluded.
  Dossiers and petitions whose procedure is not in the catalogue (procedures feeds of the period's months and the
  ``CATALOGUE_LOOKBACK_MONTHS`` before it) are excluded. A decision item with a malformed code is excluded (only the
  item: decisions announce procedures that the unit catalogue need not carry yet, so membership is not required).
- A dossier with a negative fee amount is excluded. A dossier without ``NgayTiepNhan`` is excluded.
- Records of a unit that is not in force in the period are attributed to its successor (``DonViKeThua``, followed
  until a unit in force); records of unknown units are dropped.

Choices where METHODOLOGY.md leaves room (each a documented reading, provisional):

- Periods: ``month``; ``quarter``; ``year`` = year to date (months up to the server clock's month). Everything is
  judged at ``t_eval = min(end of period, as_of)``: events after ``t_eval`` are ignored.
- Units evaluated: every unit in force at any time in the period, plus two virtual roots, ``NATION.PROVINCES`` and
  ``NATION.MINISTRIES`` (type ``NATION``), over all provinces / ministries. Ancestors follow ``MaDinhDanhCha``.
- Dossier outcome: end = first time of status 9, else 10, else the earlier of 8 and 3, else 7. Without a terminal
  status: two or more supplement requests none of which is completed -> overdue (ended at the last request); one
  or more open requests otherwise -> ended at the earliest open request. The due date moves forward by the working
  days between each completed request and its completion (``working_days_between`` on dates; time of day kept).
  On time: end <= moved due; without a due date, working days from receipt date to end date (``[received, end)``)
  minus supplement working days <= ``ThoiHanGiaiQuyet``. Open at ``t_eval``: the same test with ``t_eval``.
  The same rule applies to refused, stopped and withdrawn dossiers.
- DOSSIER_ON_TIME set: received in the period, or received before it and not ended before its start.
- "Received/started in P" = ``NgayTiepNhan`` in P. "Ended in P" for ORIGINAL_RESULT_AVAILABLE = processed (9/10).
  AVG_PROCESSING_DAYS: dossiers of the DOSSIER_ON_TIME set that ended in P with a terminal status, in working
  days net of supplements.
- Catalogue criteria count distinct ``MaTTHC`` over the unit's subtree (catalogue as of the period's end, or of
  the last month a unit was in force); a flag (online level, public, full content, integrated payment) holds for
  a procedure if it holds on any of the subtree's rows; the level is the highest one.
- PUBLISH_ON_TIME / PUBLIC_UPDATE_ON_TIME: items of the province's / ministry's own decisions (``CoQuanBanHanh``);
  PUBLIC_UPDATE counts (decision, procedure) items. The nation roots use all issuers of their block.
  PUBLIC_CONTENT_FULL: procedures of the root's subtree with a public status (``DANG_CONG_KHAI[_SUA_DOI]``).
- DOSSIER_SYNC: report counts of the period's months summed over the subtree; fallback = the previous calendar
  year's reported total (÷12, ÷4, ×1).
- Petitions: on time = refused within 2 working days of receipt (or of the last transfer), or handled within 15
  working days of sending (or of the last transfer); open ones judged at ``t_eval`` against the handling deadline.
  The "request more information" and "publish" deadlines are not measurable from the feed (no dates) and are not
  applied. PETITION_PROCESSING_ON_TIME: petitions with ``ThuocThamQuyen = 1`` sent by ``t_eval`` and not ended
  before P. PETITION_HANDLING_SATISFACTION: petitions received in P that are not repeats; bad if dislikes > likes,
  late, or repeated by a later petition (``MaPAKNGoc``). DOSSIER_RECEIVING_SATISFACTION: numerator = set - late -
  dossiers with a dissatisfied rating given in P (the feeds do not link petitions to dossiers), floored at 0.
- A zero-denominator rule the method does not state is ``not_scored``.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from orchestration import calendar as vncal
from orchestration.portal.simulator.generator import RATING, S_RECV, S_RET, S_S1, S_S1D, S_S2, S_S2D, S_TERM

VN_TZ = timezone(timedelta(hours=7))


# ------------------------------------------------------------------------------------------------------------
# the rule table: every number of the method


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: a criterion (``kind='criterion'``) or a band cut-off (``kind='band'``)."""

    code: str
    kind: str
    group: str | None
    name: str
    max_points: float = 0.0
    method: str = "linear"  # linear | target | tracking | not_measured
    target: float | None = None
    zero_rule: str = "not_scored"  # full | zero | not_scored (denominator 0)
    not_measured_rule: str | None = None  # full | zero: points when the source does not measure it
    scope: str = "unit"  # unit | root (computed at ministry/province level, inherited below)
    params: tuple[tuple[str, float], ...] = ()
    status: str = "confirmed"
    rule_version: str = "portal-2025"
    effective_from: str = "2022-01-01"
    effective_to: str | None = None
    active: bool = True

    def param(self, name: str) -> float:
        return dict(self.params)[name]


RULES: tuple[Rule, ...] = (
    # CKMB: Công khai, minh bạch (18)
    Rule("PUBLISH_ON_TIME", "criterion", "CKMB", "Tỷ lệ TTHC công bố đúng hạn", 6, "linear", zero_rule="not_scored",
         scope="root", params=(("ministry_lead_wd", 20), ("province_lead_wd", 5)), status="fitted"),
    Rule("PUBLIC_UPDATE_ON_TIME", "criterion", "CKMB", "Tỷ lệ TTHC cập nhật, công khai đúng hạn", 4, "linear",
         zero_rule="not_scored", scope="root", params=(("ministry_wd", 10), ("province_wd", 5))),
    Rule("PUBLIC_CONTENT_FULL", "criterion", "CKMB", "Tỷ lệ TTHC công khai đầy đủ nội dung", 2, "linear",
         zero_rule="not_scored", scope="root"),
    Rule("DOSSIER_SYNC", "criterion", "CKMB", "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG", 6, "linear", zero_rule="zero",
         params=(("fallback_month_divisor", 12), ("fallback_quarter_divisor", 4), ("fallback_year_divisor", 1))),
    # TDGQ: Tiến độ giải quyết (20)
    Rule("DOSSIER_ON_TIME", "criterion", "TDGQ", "Tỷ lệ hồ sơ giải quyết đúng hạn", 20, "linear",
         zero_rule="not_scored", status="fitted"),
    Rule("AVG_PROCESSING_DAYS", "criterion", "TDGQ", "Thời gian giải quyết trung bình (ngày làm việc)", 0,
         "tracking"),
    # CLGQ: Dịch vụ công trực tuyến (12), provisional
    Rule("ONLINE_SERVICE_PROVIDED", "criterion", "CLGQ", "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến", 2, "target",
         target=0.80, status="provisional"),
    Rule("ONLINE_SERVICE_WITH_DOSSIERS", "criterion", "CLGQ", "Tỷ lệ DVCTT có phát sinh hồ sơ trực tuyến", 4,
         "linear", status="provisional"),
    Rule("ONLINE_DOSSIER_SUBMISSION", "criterion", "CLGQ", "Tỷ lệ hồ sơ nộp trực tuyến", 6, "target", target=0.50,
         status="provisional"),
    Rule("ONLINE_FULL_SUBMISSION", "criterion", "CLGQ", "Tỷ lệ hồ sơ TTHC toàn trình nộp trực tuyến toàn trình", 12,
         "linear", status="provisional", rule_version="portal-next", active=False),
    # TTTT: Thanh toán trực tuyến (10)
    Rule("ONLINE_PAYMENT_DOSSIERS", "criterion", "TTTT", "Tỷ lệ hồ sơ thanh toán trực tuyến", 6, "linear",
         zero_rule="zero", status="fitted"),
    Rule("ONLINE_PAYMENT_FORMALITIES", "criterion", "TTTT", "Tỷ lệ TTHC có phát sinh thanh toán trực tuyến", 2,
         "target", target=0.80, zero_rule="zero", status="fitted"),
    Rule("PAYMENT_INTEGRATED_FORMALITIES", "criterion", "TTTT", "Tỷ lệ TTHC tích hợp thanh toán trực tuyến", 2,
         "target", target=0.80, zero_rule="zero", status="fitted"),
    # MDSH: Số hóa hồ sơ (22)
    Rule("ORIGINAL_RESULT_AVAILABLE", "criterion", "MDSH", "Tỷ lệ cấp kết quả giải quyết TTHC điện tử", 6, "linear",
         status="fitted"),
    Rule("SO_HOA_GIAY_TO_GIAI_QUYET", "criterion", "MDSH", "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC", 4,
         "linear", status="fitted"),
    Rule("ELECTRONIC_CERTIFIED_COPY", "criterion", "MDSH", "Tỷ lệ cấp xã cung cấp chứng thực bản sao điện tử", 2,
         "not_measured", not_measured_rule="full", rule_version="portal-2025"),
    Rule("ELECTRONIC_CERTIFIED_COPY", "criterion", "MDSH", "Tỷ lệ cấp xã cung cấp chứng thực bản sao điện tử", 2,
         "linear", rule_version="portal-2025-measured", active=False),
    Rule("REUSED_DIGITIZED_DATA", "criterion", "MDSH", "Tỷ lệ khai thác, tái sử dụng dữ liệu số hóa", 2, "target",
         target=0.80, status="fitted"),
    Rule("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "criterion", "MDSH", "Tỷ lệ hồ sơ sử dụng kho dữ liệu cá nhân", 4,
         "linear", status="provisional"),
    Rule("CITIZEN_DATA_CONNECTED_DOSSIER", "criterion", "MDSH", "Tỷ lệ hồ sơ kết nối dữ liệu dân cư", 2, "linear"),
    Rule("CITIZEN_DATA_CONNECTED_FORMALITY", "criterion", "MDSH", "Tỷ lệ TTHC kết nối dữ liệu dân cư", 2, "linear"),
    # MDHL: Mức độ hài lòng (18)
    Rule("PETITION_PROCESSING_ON_TIME", "criterion", "MDHL", "Tỷ lệ xử lý phản ánh, kiến nghị đúng hạn", 6,
         "linear", zero_rule="full", params=(("refuse_wd", 2), ("request_info_wd", 5), ("handle_wd", 15),
                                             ("publish_wd", 2)), status="fitted"),
    Rule("PETITION_HANDLING_SATISFACTION", "criterion", "MDHL", "Mức độ hài lòng xử lý phản ánh, kiến nghị", 6,
         "linear", zero_rule="full", status="fitted"),
    Rule("DOSSIER_RECEIVING_SATISFACTION", "criterion", "MDHL", "Mức độ hài lòng tiếp nhận, giải quyết TTHC", 6,
         "target", target=0.90, zero_rule="zero", status="fitted"),
    Rule("PETITION_CLASSIFICATION_TTHC", "criterion", "MDHL", "Tỷ lệ phản ánh, kiến nghị về TTHC", 0, "tracking"),
    Rule("PETITION_CLASSIFICATION_STAFF", "criterion", "MDHL", "Tỷ lệ phản ánh, kiến nghị về cán bộ", 0, "tracking"),
    # bands (xếp loại): lower cut-offs of the total
    Rule("XUAT_SAC", "band", None, "Xuất sắc", params=(("min_total", 90),)),
    Rule("TOT", "band", None, "Tốt", params=(("min_total", 80),), status="provisional"),
    Rule("KHA", "band", None, "Khá", params=(("min_total", 70),), status="provisional"),
    Rule("TRUNG_BINH", "band", None, "Trung bình", params=(("min_total", 50),), status="provisional"),
    Rule("YEU", "band", None, "Yếu", params=(("min_total", 0),)),
    # other numbers of the method: catalogue lookback, unit deadlines shared by several criteria
    Rule("CATALOGUE_LOOKBACK", "setting", None, "Months of catalogue before the period that define known codes",
         params=(("months", 5),)),
    Rule("DECISION_LOOKBACK", "setting", None, "Months of decisions before the period for public updates",
         params=(("months", 3),)),
)

GROUPS: tuple[tuple[str, str], ...] = (
    ("CKMB", "Công khai, minh bạch"), ("TDGQ", "Tiến độ giải quyết"), ("CLGQ", "Dịch vụ công trực tuyến"),
    ("TTTT", "Thanh toán trực tuyến"), ("MDSH", "Số hóa hồ sơ"), ("MDHL", "Mức độ hài lòng"),
)
CRITERIA: tuple[Rule, ...] = tuple(r for r in RULES if r.kind == "criterion" and r.active)
RULE: dict[str, Rule] = {r.code: r for r in CRITERIA}
BANDS: tuple[Rule, ...] = tuple(sorted((r for r in RULES if r.kind == "band"), key=lambda r: -r.param("min_total")))
_SETTING = {r.code: r for r in RULES if r.kind == "setting"}
CATALOGUE_LOOKBACK_MONTHS = int(_SETTING["CATALOGUE_LOOKBACK"].param("months"))
DECISION_LOOKBACK_MONTHS = int(_SETTING["DECISION_LOOKBACK"].param("months"))
GROUP_MAX: dict[str, float] = {g: sum(r.max_points for r in CRITERIA if r.group == g) for g, _ in GROUPS}
assert sum(GROUP_MAX.values()) == 100, "the six groups must sum to 100 points"

NATION_PROVINCES = "NATION.PROVINCES"
NATION_MINISTRIES = "NATION.MINISTRIES"
ROOT_TYPES = ("PROVINCE", "MINISTRY")
PUBLIC_STATUSES = ("DANG_CONG_KHAI", "DANG_CONG_KHAI_SUA_DOI")
CITIZEN_APPLICANTS = {"CONG_DAN_VN", "NGUOI_VN_O_NUOC_NGOAI", "NGUOI_NUOC_NGOAI"}
DISSATISFIED = ("KHONG_HAI_LONG", "RAT_KHONG_HAI_LONG")
LEVELS = {"THONG_TIN": 0, "MOT_PHAN": 1, "TOAN_TRINH": 2}
CODE_RE = re.compile(r"^[123]\.\d{6}$")


def round_half_up(x):
    """Half-up rounding to 2 decimals (vectorised); NaN stays NaN."""
    a = np.asarray(x, dtype=float)
    return np.floor(a * 100 + 0.5 + 1e-9) / 100


def band_of(total: float) -> str:
    for b in BANDS:
        if total >= b.param("min_total"):
            return b.name
    return BANDS[-1].name


# ------------------------------------------------------------------------------------------------------------
# periods


@dataclass(frozen=True)
class Period:
    time_type: str  # month | quarter | year
    year: int
    number: int = 0  # month 1..12 or quarter 1..4; 0 for a year

    @property
    def key(self) -> str:
        if self.time_type == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.time_type == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    @property
    def all_months(self) -> list[tuple[int, int]]:
        if self.time_type == "month":
            return [(self.year, self.number)]
        if self.time_type == "quarter":
            return [(self.year, 3 * (self.number - 1) + k) for k in (1, 2, 3)]
        return [(self.year, k) for k in range(1, 13)]

    @property
    def start(self) -> pd.Timestamp:
        y, m = self.all_months[0]
        return pd.Timestamp(y, m, 1)

    @property
    def end(self) -> pd.Timestamp:
        """The last second of the period."""
        y, m = self.all_months[-1]
        return pd.Timestamp(y, m, 1) + pd.offsets.MonthBegin(1) - pd.Timedelta(seconds=1)

    def months(self, as_of: pd.Timestamp | None = None) -> list[tuple[int, int]]:
        """The period's months, up to the clock's month for the running period."""
        if as_of is None:
            return self.all_months
        return [(y, m) for y, m in self.all_months if (y, m) <= (as_of.year, as_of.month)]

    def previous(self) -> Period:
        if self.time_type == "month":
            y, m = (self.year, self.number - 1) if self.number > 1 else (self.year - 1, 12)
            return Period("month", y, m)
        if self.time_type == "quarter":
            return Period("quarter", *((self.year, self.number - 1) if self.number > 1 else (self.year - 1, 4)))
        return Period("year", self.year - 1)


def make_period(time_type: Any, year: Any, month: Any = None, quarter: Any = None) -> Period:
    """Validate and build a Period (ValueError with a clear message otherwise)."""
    if time_type not in ("month", "quarter", "year"):
        raise ValueError("timeType must be one of 'month', 'quarter', 'year'")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise ValueError("year must be an integer year")
    if time_type == "month":
        if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
            raise ValueError("month must be an integer 1..12 when timeType is 'month'")
        return Period("month", year, month)
    if time_type == "quarter":
        if not isinstance(quarter, int) or isinstance(quarter, bool) or not 1 <= quarter <= 4:
            raise ValueError("quarter must be an integer 1..4 when timeType is 'quarter'")
        return Period("quarter", year, quarter)
    return Period("year", year)


def _local(as_of: datetime | pd.Timestamp) -> pd.Timestamp:
    """Naive Vietnam local time of a clock value (naive values are taken as Vietnam time)."""
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(VN_TZ).tz_localize(None)
    return ts.floor("s")


# ------------------------------------------------------------------------------------------------------------
# records


@dataclass
class Records:
    """Cleaned records, one DataFrame per kind (columns documented in ``_EMPTY``)."""

    units: pd.DataFrame
    procedures: pd.DataFrame = field(default_factory=lambda: _empty("procedures"))
    decisions: pd.DataFrame = field(default_factory=lambda: _empty("decisions"))
    dossiers: pd.DataFrame = field(default_factory=lambda: _empty("dossiers"))
    supplements: pd.DataFrame = field(default_factory=lambda: _empty("supplements"))
    petitions: pd.DataFrame = field(default_factory=lambda: _empty("petitions"))
    ratings: pd.DataFrame = field(default_factory=lambda: _empty("ratings"))
    report_counts: pd.DataFrame = field(default_factory=lambda: _empty("report_counts"))


_EMPTY: dict[str, dict[str, str]] = {
    "units": dict(code="object", name="object", type="object", parent="object", valid_from="datetime64[ns]",
                  valid_to="datetime64[ns]", successor="object", cert="float64", id_danh_gia="object"),
    # month: yyyy*12+m-1 of the catalogue the row comes from
    "procedures": dict(procedure_code="object", unit_code="object", level="int64", fee="bool", integrated="bool",
                       paper="bool", citizen="bool", time_limit="int64", public="bool", full_content="bool",
                       month="int64"),
    "decisions": dict(decision_no="object", decision_date="datetime64[ns]", issuer_code="object",
                      procedure_code="object", effective_date="datetime64[ns]", public_at="datetime64[ns]"),
    "dossiers": dict(dossier_id="object", procedure_code="object", unit_code="object", channel="int64",
                     received_at="datetime64[ns]", due_at="datetime64[ns]", processed_at="datetime64[ns]",
                     returned_at="datetime64[ns]", stopped_at="datetime64[ns]", refused_at="datetime64[ns]",
                     withdrawn_at="datetime64[ns]", has_e_result="bool", all_digitised="bool", any_reused="bool",
                     any_personal_store="bool", fee_all_zero="bool", paid_online="bool", vneid="bool",
                     population_db="bool", synced="bool"),
    "supplements": dict(dossier_id="object", requested_at="datetime64[ns]", completed_at="datetime64[ns]"),
    "petitions": dict(petition_id="object", unit_code="object", procedure_code="object", category="object",
                      in_competence="bool", sent_at="datetime64[ns]", received_at="datetime64[ns]",
                      transferred_at="datetime64[ns]", handled_at="datetime64[ns]", refused_at="datetime64[ns]",
                      likes="int64", dislikes="int64", satisfied="float64", original_id="object"),
    "ratings": dict(dossier_id="object", rated_at="datetime64[ns]", result="object"),
    "report_counts": dict(unit_code="object", month="object", count="float64"),
}


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY[kind].items()})


def units_from_structure(structure: pd.DataFrame) -> pd.DataFrame:
    """The units frame from ``PortalData.structure()`` (or any frame with the units feed's columns)."""
    s = structure
    return pd.DataFrame({
        "code": s["MaDinhDanh"].astype(object), "name": s["TenDonVi"].astype(object),
        "type": s["LoaiDonVi"].astype(object), "parent": s["MaDinhDanhCha"].astype(object).where(
            s["MaDinhDanhCha"].notna(), None),
        "valid_from": _to_dt(s["HieuLucTu"], "%Y%m%d"), "valid_to": _to_dt(s["HieuLucDen"], "%Y%m%d"),
        "successor": s["DonViKeThua"].astype(object).where(s["DonViKeThua"].notna(), None),
        "cert": pd.to_numeric(s["CungCapChungThucDienTu"], errors="coerce").astype(float),
        "id_danh_gia": s["IdDanhGia"].astype(object).where(s["IdDanhGia"].notna(), None),
    }).drop_duplicates("code", keep="last").reset_index(drop=True)


def _to_dt(values, fmt: str) -> pd.Series:
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    return pd.to_datetime(s.astype(object).where(s.notna() & (s.astype(str) != ""), None), format=fmt,
                          errors="coerce").astype("datetime64[ns]")


_DT_RE = re.compile(r"^\d{14}$")
_D_RE = re.compile(r"^\d{8}$")


def _parse_dates(values: list, date_only: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse yyyyMMddHHmmss (or yyyyMMdd) strings. Returns (datetimes, bad) where bad marks non-empty values that
    do not parse; empty strings and None are NaT and not bad."""
    s = pd.Series(values, dtype=object)
    present = s.notna() & (s.astype(str) != "")
    rx = _D_RE if date_only else _DT_RE
    shaped = s.astype(str).str.match(rx.pattern)
    fmt = "%Y%m%d" if date_only else "%Y%m%d%H%M%S"
    parsed = pd.to_datetime(s.where(present & shaped, None), format=fmt, errors="coerce")
    bad = (present & (~shaped | parsed.isna())).to_numpy()
    return parsed.astype("datetime64[ns]"), bad


def records_from_rows(units: pd.DataFrame, feeds: dict[str, list[dict]], catalogue_month: dict | None = None
                      ) -> Records:
    """Cleaned records from the JSON rows the portal serves.

    ``units``: the units frame (see ``units_from_structure``). ``feeds``: dataset name (as in PORTAL_API.md) ->
    list of rows; procedures rows may carry an extra ``_month`` (yyyy*12+m-1 of their catalogue; default: the
    latest). Rows of several monthly feeds may simply be concatenated (duplicates are removed).
    """
    rec = Records(units=units)
    if feeds.get("procedures"):
        rec.procedures = _procedures_from_rows(feeds["procedures"])
    if feeds.get("publication-decisions"):
        rec.decisions = _decisions_from_rows(feeds["publication-decisions"])
    if feeds.get("dossiers"):
        rec.dossiers, rec.supplements = _dossiers_from_rows(feeds["dossiers"])
    if feeds.get("petitions"):
        rec.petitions = _petitions_from_rows(feeds["petitions"])
    if feeds.get("ratings"):
        rec.ratings = _ratings_from_rows(feeds["ratings"])
    if feeds.get("report-counts"):
        rc = pd.DataFrame(feeds["report-counts"])
        rc = rc.drop_duplicates(["MaDinhDanh", "Ky"], keep="last")
        rec.report_counts = pd.DataFrame({"unit_code": rc["MaDinhDanh"].astype(object),
                                          "month": rc["Ky"].astype(object),
                                          "count": pd.to_numeric(rc["SoHoSoTiepNhan"], errors="coerce")})
    return rec


def _procedures_from_rows(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if "_month" not in df:
        df["_month"] = 0
    df = df.drop_duplicates(["MaTTHC", "MaDinhDanh", "_month"], keep="last")
    df = df[df["MaTTHC"].astype(str).str.match(CODE_RE.pattern)]
    return pd.DataFrame({
        "procedure_code": df["MaTTHC"].astype(object), "unit_code": df["MaDinhDanh"].astype(object),
        "level": df["MucDoDVC"].map(LEVELS).fillna(0).astype(np.int64),
        "fee": df["CoPhiLePhi"].astype(int).astype(bool), "integrated": df["TichHopThanhToan"].astype(int).astype(bool),
        "paper": df["KetQuaBanGiay"].astype(int).astype(bool),
        "citizen": df["DoiTuongThucHien"].map(lambda v: bool(set(v or ()) & CITIZEN_APPLICANTS)).astype(bool),
        "time_limit": pd.to_numeric(df["ThoiHanGiaiQuyet"], errors="coerce").fillna(0).astype(np.int64),
        "public": df["TrangThaiCongKhai"].isin(PUBLIC_STATUSES).astype(bool),
        "full_content": df["DayDuNoiDung"].astype(int).astype(bool), "month": df["_month"].astype(np.int64),
    }).reset_index(drop=True)


def _decisions_from_rows(rows: list[dict]) -> pd.DataFrame:
    seen: dict[str, dict] = {}
    for r in rows:
        seen[r["SoQuyetDinh"]] = r
    dec = list(seen.values())
    ddate, dbad = _parse_dates([r.get("NgayQuyetDinh") for r in dec], date_only=True)
    items = []
    for i, r in enumerate(dec):
        if dbad[i] or pd.isna(ddate.iloc[i]):
            continue
        for it in r.get("DanhSachTTHC") or []:
            items.append((r["SoQuyetDinh"], ddate.iloc[i], r.get("CoQuanBanHanh"), it.get("MaTTHC"),
                          it.get("NgayHieuLucVanBan"), it.get("NgayCongKhai")))
    if not items:
        return _empty("decisions")
    no, dd, iss, code, eff, pub = zip(*items, strict=True)
    eff_t, eff_bad = _parse_dates(list(eff), date_only=True)
    pub_t, pub_bad = _parse_dates(list(pub))
    code_s = pd.Series(code, dtype=object)
    ok = ~eff_bad & ~pub_bad & code_s.astype(str).str.match(CODE_RE.pattern).to_numpy() & eff_t.notna().to_numpy()
    out = pd.DataFrame({"decision_no": list(no), "decision_date": pd.to_datetime(list(dd)), "issuer_code": list(iss),
                        "procedure_code": code_s, "effective_date": eff_t, "public_at": pub_t})
    return out[ok].reset_index(drop=True)


def _dossiers_from_rows(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    by_key: dict[str, dict] = {}
    for r in rows:
        by_key[r["MaHoSo"]] = r
    recs = list(by_key.values())
    n = len(recs)
    term: dict[str, list] = {s: [None] * n for s in ("9", "10", "8", "3", "7")}
    hist_bad = np.zeros(n, bool)
    supp_rows = []
    flags = np.zeros((n, 10), bool)
    negative = np.zeros(n, bool)
    for i, r in enumerate(recs):
        for h in r.get("QuaTrinhXuLy") or []:
            s, t = str(h.get("TrangThai")), h.get("ThoiDiem")
            if t and not _DT_RE.match(str(t)):
                hist_bad[i] = True
            if s in term and t and (term[s][i] is None or str(t) < term[s][i]):
                term[s][i] = str(t)
        if not any(term[s][i] for s in term):
            if r.get("NgayTuChoi"):
                term["3"][i] = r["NgayTuChoi"]
            if r.get("NgayKetThucXuLy"):
                term["8" if str(r.get("TrangThaiHoSo")) == "8" else "9"][i] = r["NgayKetThucXuLy"]
            if r.get("NgayTra"):
                term["10"][i] = r["NgayTra"]
        for s in r.get("DanhSachHoSoBoSung") or []:
            supp_rows.append((i, s.get("NgayYeuCau"), s.get("NgayHoanThanh")))
        docs = r.get("TaiLieuNop") or []
        fees = r.get("DanhSachLePhi") or []
        amounts = [float(f.get("Gia") or 0) for f in fees]
        negative[i] = any(a < 0 for a in amounts)
        csdl = {c.get("MaCSDL") for c in r.get("DSKetNoiCSDL") or []}
        flags[i] = (
            any(g.get("DuongDanTepTinKetQua") for g in r.get("DanhSachGiayToKetQua") or []),
            all(int(d.get("DuocSoHoa") or 0) == 1 for d in docs),
            any(int(d.get("DuocTaiSuDung") or 0) == 1 for d in docs),
            any(int(d.get("DuocLayTuKhoDMQG") or 0) == 1 for d in docs),
            all(a == 0 for a in amounts),
            str(r.get("DuocThanhToanTrucTuyen") or "0") in ("1", "2") and bool(fees),
            int(r.get("TaiKhoanDuocXacThucVoiVNeID") or 0) == 1,
            "CSDLQGDC" in csdl,
            int(r.get("DongBoDVCQG") or 0) == 1,
            False,
        )
    bad = hist_bad | negative
    cols = {}
    for name, fld in (("submitted_at", "NgayNopHoSo"), ("received_at", "NgayTiepNhan"), ("due_at", "NgayHenTra"),
                      ("_end", "NgayKetThucXuLy"), ("_ret", "NgayTra"), ("_ref", "NgayTuChoi")):
        cols[name], b = _parse_dates([r.get(fld) for r in recs])
        bad |= b
    named = {"9": "processed_at", "10": "returned_at", "8": "stopped_at", "3": "refused_at", "7": "withdrawn_at"}
    for s, name in named.items():
        cols[name], b = _parse_dates(term[s])
        bad |= b
    df = pd.DataFrame({
        "dossier_id": [r["MaHoSo"] for r in recs], "procedure_code": [r.get("MaTTHC") for r in recs],
        "unit_code": [r.get("MaDonViXuLy") for r in recs],
        "channel": pd.to_numeric(pd.Series([r.get("KenhThucHien") for r in recs], dtype=object),
                                 errors="coerce").fillna(1).astype(np.int64),
        "received_at": cols["received_at"], "due_at": cols["due_at"],
        **{name: cols[name] for name in named.values()},
        "has_e_result": flags[:, 0], "all_digitised": flags[:, 1], "any_reused": flags[:, 2],
        "any_personal_store": flags[:, 3], "fee_all_zero": flags[:, 4], "paid_online": flags[:, 5],
        "vneid": flags[:, 6], "population_db": flags[:, 7], "synced": flags[:, 8],
    })
    if supp_rows:
        si, req, comp = zip(*supp_rows, strict=True)
        req_t, rb = _parse_dates(list(req))
        comp_t, cb = _parse_dates(list(comp))
        si = np.array(si)
        np.logical_or.at(bad, si, rb | cb)
        supp = pd.DataFrame({"dossier_id": df["dossier_id"].to_numpy()[si], "requested_at": req_t,
                             "completed_at": comp_t})
    else:
        supp = _empty("supplements")
    keep = ~bad & df["received_at"].notna().to_numpy()
    df = df[keep].reset_index(drop=True)
    supp = supp[supp["dossier_id"].isin(set(df["dossier_id"])) & supp["requested_at"].notna()].reset_index(drop=True)
    return df, supp


def _petitions_from_rows(rows: list[dict]) -> pd.DataFrame:
    by_key: dict[str, dict] = {}
    for r in rows:
        by_key[r["MaPAKN"]] = r
    recs = list(by_key.values())
    bad = np.zeros(len(recs), bool)
    cols = {}
    for name, fld in (("sent_at", "NgayGui"), ("received_at", "NgayTiepNhan"), ("transferred_at", "NgayChuyenGanNhat"),
                      ("handled_at", "NgayXuLy"), ("refused_at", "NgayTuChoi")):
        cols[name], b = _parse_dates([r.get(fld) for r in recs])
        bad |= b
    code = pd.Series([r.get("MaTTHC") for r in recs], dtype=object)
    bad |= (code.notna() & ~code.astype(str).str.match(CODE_RE.pattern)).to_numpy()
    df = pd.DataFrame({
        "petition_id": [r["MaPAKN"] for r in recs], "unit_code": [r.get("MaDonViXuLy") for r in recs],
        "procedure_code": code, "category": [r.get("PhanLoai") for r in recs],
        "in_competence": [int(r.get("ThuocThamQuyen") or 0) == 1 for r in recs], **cols,
        "likes": [int(r.get("SoLuotThich") or 0) for r in recs],
        "dislikes": [int(r.get("SoLuotKhongThich") or 0) for r in recs],
        "satisfied": pd.to_numeric(pd.Series([r.get("HaiLong") for r in recs], dtype=object), errors="coerce"),
        "original_id": [r.get("MaPAKNGoc") for r in recs],
    })
    return df[~bad].reset_index(drop=True)


def _ratings_from_rows(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows).drop_duplicates(["MaHoSo", "NgayDanhGia"], keep="last")
    t, bad = _parse_dates(df["NgayDanhGia"].tolist())
    out = pd.DataFrame({"dossier_id": df["MaHoSo"].to_numpy(), "rated_at": t.to_numpy(),
                        "result": df["KetQua"].to_numpy()})
    return out[~bad & out["rated_at"].notna().to_numpy()].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------
# working days on datetime columns (NaT-safe)


def _days(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _wd_between(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Working days in [date(a), date(b)); 0 where either is NaT."""
    da, db = _days(a), _days(b)
    ok = ~(np.isnat(da) | np.isnat(db))
    fill = np.datetime64("2025-01-01", "D")
    out = vncal.working_days_between(np.where(ok, da, fill), np.where(ok, db, fill))
    return np.where(ok, out, 0)


def _add_wd(s: pd.Series, n) -> pd.Series:
    """Move each timestamp's date by n working days (time of day kept); NaT stays NaT."""
    d = _days(s)
    ok = ~np.isnat(d)
    fill = np.datetime64("2025-01-01", "D")
    moved = vncal.add_working_days(np.where(ok, d, fill), n)
    tod = s.to_numpy(dtype="datetime64[ns]") - d.astype("datetime64[ns]")
    out = moved.astype("datetime64[ns]") + np.where(ok, tod, np.timedelta64(0, "ns"))
    return pd.Series(np.where(ok, out, np.datetime64("NaT")), index=s.index, dtype="datetime64[ns]")


def _cut(s: pd.Series, t: pd.Timestamp) -> pd.Series:
    """Events after t did not happen yet."""
    return s.where(s <= t)


# ------------------------------------------------------------------------------------------------------------
# the computation


class _Tree:
    """Units in force in a period, their ancestors (plus the two nation roots) and record attribution."""

    def __init__(self, units: pd.DataFrame, start: pd.Timestamp, t_eval: pd.Timestamp):
        u = units.drop_duplicates("code", keep="last").set_index("code", drop=False)
        day = t_eval.normalize()
        vf, vt = u["valid_from"], u["valid_to"]
        inforce = (vf <= day) & (vt.isna() | (vt >= start.normalize()))
        self.all = u
        act = u[inforce].copy()
        self.end_in_force = set(act.index[(act["valid_from"] <= day) & (act["valid_to"].isna()
                                                                           | (act["valid_to"] >= day))])
        nation = pd.DataFrame({
            "code": [NATION_PROVINCES, NATION_MINISTRIES], "name": ["Toàn quốc - Tỉnh, thành phố", "Toàn quốc - Bộ, ngành"],
            "type": ["NATION", "NATION"], "parent": [None, None], "valid_from": [pd.NaT, pd.NaT],
            "valid_to": [pd.NaT, pd.NaT], "successor": [None, None], "cert": [np.nan, np.nan],
            "id_danh_gia": [None, None]}).set_index("code", drop=False)
        act["parent"] = act["parent"].where(act["parent"].isin(act.index) | act["parent"].isna(), None)
        act.loc[act["type"] == "PROVINCE", "parent"] = NATION_PROVINCES
        act.loc[act["type"] == "MINISTRY", "parent"] = NATION_MINISTRIES
        self.units = pd.concat([act, nation.astype({c: act[c].dtype for c in ("valid_from", "valid_to")})])
        parent = self.units["parent"].to_dict()
        rows = []
        root = {}
        for code in self.units.index:
            c, depth, r = code, 0, None
            while c is not None and depth < 10:
                rows.append((code, c, depth))
                if r is None and self.units.at[c, "type"] in ROOT_TYPES + ("NATION",):
                    r = c
                c = parent.get(c)
                depth += 1
            root[code] = r
        self.anc = pd.DataFrame(rows, columns=["unit", "ancestor", "depth"])
        self.root = pd.Series(root)
        self.depth = self.anc.groupby("unit")["depth"].max()
        # attribution of record unit codes: in force -> itself; ended -> successor chain; otherwise dropped
        succ = u["successor"].to_dict()
        attr = {}
        for code in u.index:
            c, hops = code, 0
            while c is not None and c not in act.index and hops < 8:
                c, hops = succ.get(c), hops + 1
            if c is not None and c in act.index:
                attr[code] = c
        self.attr = attr

    def attribute(self, codes: pd.Series) -> pd.Series:
        return codes.map(self.attr)

    def rollup(self, per_unit: pd.DataFrame) -> pd.DataFrame:
        """Sum per-unit counts (index = unit code) over each unit and all its descendants."""
        m = self.anc.merge(per_unit, left_on="unit", right_index=True, how="inner")
        out = m.groupby("ancestor")[list(per_unit.columns)].sum()
        return out.reindex(self.units.index, fill_value=0)

    def rollup_distinct(self, per_unit_proc: pd.DataFrame) -> pd.DataFrame:
        """Per (ancestor, procedure) max of flags over the subtree, from per (unit, procedure) rows."""
        flags = [c for c in per_unit_proc.columns if c not in ("unit", "procedure_code")]
        m = self.anc[["unit", "ancestor"]].merge(per_unit_proc, on="unit", how="inner")
        return m.groupby(["ancestor", "procedure_code"], sort=False)[flags].max().reset_index()


@dataclass
class Evaluation:
    """An evaluated period: the table of ``evaluate`` plus what the responses need beside it."""

    table: pd.DataFrame
    extra: pd.DataFrame  # per unit: completed, direct, partial, full (counts shown by the tree endpoints)
    end_in_force: set  # units in force on the last evaluated day (listed as subordinates)
    depth: pd.Series  # depth of each unit below its nation root


def evaluate(records: Records, period: Period, as_of: datetime | pd.Timestamp) -> pd.DataFrame:
    """The evaluation of every unit in force in ``period``; see ``evaluate_full``."""
    return evaluate_full(records, period, as_of).table


def evaluate_full(records: Records, period: Period, as_of: datetime | pd.Timestamp) -> Evaluation:
    """The evaluation of every unit in force in ``period``, judged at ``min(period end, as_of)``.

    Returns one row per (unit, criterion) with columns: unit_code, unit_name, unit_type, parent_code,
    id_danh_gia, root_code, period, time_type, group, criterion, numerator, denominator, ratio (0..1, or the mean
    for AVG_PROCESSING_DAYS), points (rounded half-up), max_points, state (scored, full, zero, no_data,
    not_measured, inherited, tracking). Units include the virtual nation roots (type NATION).
    """
    now = _local(as_of)
    start = period.start
    t_eval = min(period.end, now)
    if t_eval < start:
        raise ValueError(f"period {period.key} has not started at {now}")
    tree = _Tree(records.units, start, t_eval)
    idx = tree.units.index
    counts: dict[str, tuple[pd.Series, pd.Series]] = {}

    cat = _catalogue(records.procedures, tree, t_eval)
    known = set(records.procedures["procedure_code"])
    proc_attr = (records.procedures.sort_values("month").drop_duplicates("procedure_code", keep="last")
                 .set_index("procedure_code")[["fee", "paper", "citizen", "time_limit"]])

    # ---- dossiers -------------------------------------------------------------------------------------------
    d = records.dossiers
    d = d[d["procedure_code"].isin(known) & d["received_at"].notna() & (d["received_at"] <= t_eval)].copy()
    d["unit"] = tree.attribute(d["unit_code"])
    d = d[d["unit"].notna()]
    d = d.join(proc_attr, on="procedure_code")
    d = _dossier_outcomes(d, records.supplements, start, t_eval)
    recv_in = (d["received_at"] >= start).to_numpy()
    in_set = d["in_set"].to_numpy()
    ended_in = in_set & d["end_at"].notna().to_numpy() & (d["end_at"] >= start).to_numpy()
    terminal = ended_in & d["terminal"].to_numpy()
    processed = d["processed_end"].notna() & (d["processed_end"] >= start)
    # dissatisfied ratings given in P
    rt = records.ratings
    rt = rt[(rt["rated_at"] >= start) & (rt["rated_at"] <= t_eval) & rt["result"].isin(DISSATISFIED)]
    dissatisfied = d["dossier_id"].isin(set(rt["dossier_id"])).to_numpy()
    online = (d["channel"] == 2).to_numpy()
    paper = d["paper"].to_numpy(bool)
    e_res = d["has_e_result"].to_numpy(bool)
    fee_doss = recv_in & d["fee"].to_numpy(bool) & ~d["fee_all_zero"].to_numpy(bool)
    paid = d["paid_online"].to_numpy(bool)
    connected = d["vneid"].to_numpy(bool) | d["population_db"].to_numpy(bool)
    per = pd.DataFrame({
        "unit": d["unit"].to_numpy(),
        "recv": recv_in, "synced": recv_in & d["synced"].to_numpy(bool),
        "set": in_set, "ontime": in_set & d["on_time"].to_numpy(), "completed": ended_in,
        "ended_n": terminal, "ended_days": np.where(terminal, d["net_days"].to_numpy(), 0),
        "dis": in_set & dissatisfied,
        "online_ok": recv_in & online & (~paper | e_res), "direct": recv_in & (d["channel"] == 1).to_numpy(),
        "fee_doss": fee_doss, "fee_paid": fee_doss & paid,
        "paper_done": processed.to_numpy() & paper, "paper_done_e": processed.to_numpy() & paper & e_res,
        "digitised": recv_in & d["all_digitised"].to_numpy(bool) & (~paper | e_res),
        "reused": recv_in & d["any_reused"].to_numpy(bool),
        "personal": recv_in & d["any_personal_store"].to_numpy(bool),
        "connected": recv_in & connected,
    })
    u = tree.rollup(per.groupby("unit").sum())

    # report counts
    months = [f"{y:04d}-{m:02d}" for y, m in period.months(now)]
    rc = records.report_counts.copy()
    rc["unit"] = tree.attribute(rc["unit_code"])
    rc = rc[rc["unit"].notna()]
    rep = tree.rollup(rc[rc["month"].isin(months)].groupby("unit")[["count"]].sum())["count"]
    prev_year = [f"{period.year - 1:04d}-{m:02d}" for m in range(1, 13)]
    rep_prev = tree.rollup(rc[rc["month"].isin(prev_year)].groupby("unit")[["count"]].sum())["count"]
    den = np.maximum(rep, u["recv"])
    divisor = RULE["DOSSIER_SYNC"].param(f"fallback_{period.time_type}_divisor")
    den = den.where(den > 0, rep_prev / divisor)
    counts["DOSSIER_SYNC"] = (u["synced"], den)
    counts["DOSSIER_ON_TIME"] = (u["ontime"], u["set"])
    counts["AVG_PROCESSING_DAYS"] = (u["ended_days"], u["ended_n"])
    counts["ONLINE_DOSSIER_SUBMISSION"] = (u["online_ok"], u["recv"])
    counts["ONLINE_PAYMENT_DOSSIERS"] = (u["fee_paid"], u["fee_doss"])
    counts["ORIGINAL_RESULT_AVAILABLE"] = (u["paper_done_e"], u["paper_done"])
    counts["SO_HOA_GIAY_TO_GIAI_QUYET"] = (u["digitised"], u["recv"])
    counts["REUSED_DIGITIZED_DATA"] = (u["reused"], u["recv"])
    counts["SYNCED_WITH_DVCQG_PERSONAL_STORAGE"] = (u["personal"], u["recv"])
    counts["CITIZEN_DATA_CONNECTED_DOSSIER"] = (u["connected"], u["recv"])
    late = u["set"] - u["ontime"]
    counts["DOSSIER_RECEIVING_SATISFACTION"] = ((u["set"] - late - u["dis"]).clip(lower=0), u["set"])
    extra = pd.DataFrame({"completed": u["completed"], "direct": u["direct"]})

    # ---- catalogue criteria (distinct procedures over the subtree) -------------------------------------------
    dp = pd.DataFrame({"unit": d["unit"].to_numpy(), "procedure_code": d["procedure_code"].to_numpy(),
                       "d_online": recv_in & online, "d_paid": fee_doss & paid, "d_connected": recv_in & connected})
    dp = dp[dp["d_online"] | dp["d_paid"] | dp["d_connected"]]
    dp = dp.groupby(["unit", "procedure_code"], sort=False).max().reset_index()
    cat_anc = tree.rollup_distinct(cat) if len(cat) else pd.DataFrame(
        columns=["ancestor", "procedure_code", "level", "public", "public_full", "integrated", "fee", "citizen"])
    doss_anc = tree.rollup_distinct(dp) if len(dp) else pd.DataFrame(
        columns=["ancestor", "procedure_code", "d_online", "d_paid", "d_connected"])
    ca = cat_anc.merge(doss_anc, on=["ancestor", "procedure_code"], how="left")
    for c in ("d_online", "d_paid", "d_connected"):
        ca[c] = ca[c].fillna(False).astype(bool)
    lvl = ca["level"].astype(int)
    fee = ca["fee"].astype(bool)
    cit = ca["citizen"].astype(bool)
    g = pd.DataFrame({
        "ancestor": ca["ancestor"], "n": 1, "online": (lvl >= 1), "partial": (lvl == 1), "full": (lvl == 2),
        "online_with": (lvl >= 1) & ca["d_online"], "public": ca["public"].astype(bool),
        "public_full": ca["public_full"].astype(bool), "fee": fee, "fee_paid": fee & ca["d_paid"],
        "fee_int": fee & ca["integrated"].astype(bool), "cit": cit, "cit_conn": cit & ca["d_connected"],
    }).groupby("ancestor").sum().reindex(idx, fill_value=0)
    counts["ONLINE_SERVICE_PROVIDED"] = (g["online"], g["n"])
    counts["ONLINE_SERVICE_WITH_DOSSIERS"] = (g["online_with"], g["online"])
    counts["ONLINE_PAYMENT_FORMALITIES"] = (g["fee_paid"], g["fee"])
    counts["PAYMENT_INTEGRATED_FORMALITIES"] = (g["fee_int"], g["fee"])
    counts["CITIZEN_DATA_CONNECTED_FORMALITY"] = (g["cit_conn"], g["cit"])
    counts["PUBLIC_CONTENT_FULL"] = (g["public_full"], g["public"])
    extra["partial"], extra["full"] = g["partial"], g["full"]

    # ---- publication decisions (root level) ----------------------------------------------------------------
    counts.update(_decision_counts(records.decisions, tree, start, t_eval))

    # ---- petitions ---------------------------------------------------------------------------------------------
    counts.update(_petition_counts(records.petitions, tree, known, start, t_eval))

    # communes providing electronic certified copies (kept for the inactive measured rule)
    com = tree.units[tree.units["type"] == "COMMUNE_PEOPLE_COMMITTEE"]
    cc = tree.rollup(pd.DataFrame({"n": 1, "cert": (com["cert"] == 1).astype(int)}, index=com.index))
    counts["ELECTRONIC_CERTIFIED_COPY"] = (cc["cert"], cc["n"])

    return Evaluation(_score(tree, counts, period), extra.reindex(idx, fill_value=0), tree.end_in_force,
                      tree.depth)


def _catalogue(procs: pd.DataFrame, tree: _Tree, t_eval: pd.Timestamp) -> pd.DataFrame:
    """Per (unit, procedure) rows of the catalogue as of the period's end (or the unit's last month in it)."""
    last_month = t_eval.year * 12 + t_eval.month - 1
    p = procs[procs["month"] <= last_month].copy()
    p = p[p["unit_code"].isin(tree.units.index)]
    latest = p.groupby("unit_code")["month"].transform("max")
    p = p[p["month"] == latest]
    return pd.DataFrame({
        "unit": p["unit_code"].to_numpy(), "procedure_code": p["procedure_code"].to_numpy(),
        "level": p["level"].to_numpy(np.int64), "public": p["public"].to_numpy(bool),
        "public_full": (p["public"] & p["full_content"]).to_numpy(bool), "integrated": p["integrated"].to_numpy(bool),
        "fee": p["fee"].to_numpy(bool), "citizen": p["citizen"].to_numpy(bool)})


def _dossier_outcomes(d: pd.DataFrame, supplements: pd.DataFrame, start: pd.Timestamp, t_eval: pd.Timestamp
                      ) -> pd.DataFrame:
    """Adds end_at, terminal, processed_end, on_time, in_set and net_days (working days net of supplements)."""
    processed = _cut(d["processed_at"], t_eval)
    returned = _cut(d["returned_at"], t_eval)
    stop_ref = pd.concat([_cut(d["stopped_at"], t_eval), _cut(d["refused_at"], t_eval)], axis=1).min(axis=1)
    withdrawn = _cut(d["withdrawn_at"], t_eval)
    term_end = processed.fillna(returned).fillna(stop_ref).fillna(withdrawn)
    d["processed_end"] = processed.fillna(returned)

    s = supplements[supplements["dossier_id"].isin(set(d["dossier_id"]))]
    s = s[s["requested_at"] <= t_eval].copy()
    s["completed_at"] = _cut(s["completed_at"], t_eval)
    s["done"] = s["completed_at"].notna()
    s["wd"] = np.where(s["done"], _wd_between(s["requested_at"], s["completed_at"]), 0)
    s["open_req"] = s["requested_at"].where(~s["done"])
    agg = s.groupby("dossier_id").agg(n_req=("requested_at", "size"), n_done=("done", "sum"),
                                      first_open=("open_req", "min"), last_req=("requested_at", "max"))
    d = d.join(agg, on="dossier_id")
    d["n_req"] = d["n_req"].fillna(0).astype(int)
    d["n_done"] = d["n_done"].fillna(0).astype(int)
    n_open = d["n_req"] - d["n_done"]
    no_term = term_end.isna()
    forced_late = no_term & (n_open >= 1) & (d["n_req"] >= 2) & (d["n_done"] == 0)
    supp_end = no_term & (n_open >= 1) & ~forced_late
    end = term_end.where(~no_term, d["first_open"].where(supp_end, d["last_req"].where(forced_late)))
    d["end_at"] = end
    d["terminal"] = ~no_term
    # supplement working days that count: completed ones, completed by the end (or by t_eval while open)
    cut = end.fillna(t_eval)
    s = s.join(cut.rename("cut").set_axis(d["dossier_id"].to_numpy()), on="dossier_id")
    pause = s[s["done"] & (s["completed_at"] <= s["cut"])].groupby("dossier_id")["wd"].sum()
    d["pause"] = d["dossier_id"].map(pause).fillna(0).astype(np.int64).to_numpy()
    judge = end.fillna(t_eval)
    due = d["due_at"]
    moved = _add_wd(due, d["pause"].to_numpy())
    moved = moved.where(d["pause"] > 0, due)
    net = _wd_between(d["received_at"], judge) - d["pause"].to_numpy()
    limit = d["time_limit"].fillna(0).to_numpy()
    ok = np.where(due.notna(), (judge <= moved).to_numpy(), net <= limit)
    d["on_time"] = ok & ~forced_late.to_numpy()
    d["net_days"] = net
    d["in_set"] = ((d["received_at"] >= start) | end.isna() | (end >= start)).to_numpy()
    return d


def _decision_counts(dec: pd.DataFrame, tree: _Tree, start: pd.Timestamp, t_eval: pd.Timestamp) -> dict:
    rp, ru = RULE["PUBLISH_ON_TIME"], RULE["PUBLIC_UPDATE_ON_TIME"]
    roots = tree.units.index[tree.units["type"].isin(ROOT_TYPES + ("NATION",))]
    zero = pd.Series(0.0, index=tree.units.index)
    out = {c: (zero.copy(), zero.copy()) for c in ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME")}
    if dec.empty:
        return out
    x = dec.copy()
    x["issuer"] = tree.attribute(x["issuer_code"])
    x = x[x["issuer"].notna() & (x["decision_date"] <= t_eval)]
    x = x[x["issuer"].map(tree.units["type"]).isin(ROOT_TYPES)]
    is_min = (x["issuer"].map(tree.units["type"]) == "MINISTRY").to_numpy()
    lead = np.where(is_min, rp.param("ministry_lead_wd"), rp.param("province_lead_wd")).astype(np.int64)
    latest_ok = _add_wd(x["effective_date"], -lead)
    x["publish_ok"] = (x["decision_date"] <= latest_ok).to_numpy()
    lim = np.where(is_min, ru.param("ministry_wd"), ru.param("province_wd")).astype(np.int64)
    deadline = _add_wd(x["decision_date"], lim)
    pub = _cut(x["public_at"], t_eval)
    pub_day = pub.dt.normalize()
    public_in = pub.notna() & (pub >= start)
    overdue_unpublished = pub.isna() & (deadline >= start.normalize()) & (deadline <= t_eval.normalize())
    x["upd_den"] = public_in | overdue_unpublished
    x["upd_num"] = public_in & (pub_day <= deadline)
    x["in_p"] = x["decision_date"] >= start.normalize()
    # each root (and the nation roots) over its own decisions and those of its block
    x = x.merge(tree.anc[["unit", "ancestor"]], left_on="issuer", right_on="unit")
    x = x[x["ancestor"].isin(roots)]
    pub_p = x[x["in_p"]].groupby(["ancestor", "procedure_code"])["publish_ok"].all().reset_index()
    num = pub_p.groupby("ancestor")["publish_ok"].sum()
    den = pub_p.groupby("ancestor").size()
    out["PUBLISH_ON_TIME"] = (num.reindex(zero.index, fill_value=0), den.reindex(zero.index, fill_value=0))
    items = x.drop_duplicates(["ancestor", "decision_no", "procedure_code"])
    out["PUBLIC_UPDATE_ON_TIME"] = (items.groupby("ancestor")["upd_num"].sum().reindex(zero.index, fill_value=0),
                                    items.groupby("ancestor")["upd_den"].sum().reindex(zero.index, fill_value=0))
    return out


def _petition_on_time(p: pd.DataFrame, t_eval: pd.Timestamp) -> np.ndarray:
    r = RULE["PETITION_PROCESSING_ON_TIME"]
    refused = _cut(p["refused_at"], t_eval)
    handled = _cut(p["handled_at"], t_eval)
    transferred = _cut(p["transferred_at"], t_eval)
    refuse_base = transferred.fillna(p["received_at"]).fillna(p["sent_at"])
    handle_base = transferred.fillna(p["sent_at"])
    refuse_dl = _add_wd(refuse_base, int(r.param("refuse_wd"))).dt.normalize()
    handle_dl = _add_wd(handle_base, int(r.param("handle_wd"))).dt.normalize()
    return np.where(refused.notna(), (refused.dt.normalize() <= refuse_dl).to_numpy(),
                    np.where(handled.notna(), (handled.dt.normalize() <= handle_dl).to_numpy(),
                             (t_eval.normalize() <= handle_dl).to_numpy()))


def _petition_counts(pet: pd.DataFrame, tree: _Tree, known: set, start: pd.Timestamp, t_eval: pd.Timestamp
                     ) -> dict:
    p = pet[(pet["procedure_code"].isna() | pet["procedure_code"].isin(known)) & pet["sent_at"].notna()
            & (pet["sent_at"] <= t_eval)].copy()
    repeated = set(p["original_id"].dropna())
    p["unit"] = tree.attribute(p["unit_code"])
    p = p[p["unit"].notna()]
    end = pd.concat([_cut(p["refused_at"], t_eval), _cut(p["handled_at"], t_eval)], axis=1).min(axis=1)
    on_time = _petition_on_time(p, t_eval)
    active = (end.isna() | (end >= start)).to_numpy()
    comp = p["in_competence"].to_numpy(bool) & active
    recv_in = (p["received_at"].notna() & (p["received_at"] >= start) & (p["received_at"] <= t_eval)).to_numpy()
    first = recv_in & p["original_id"].isna().to_numpy()
    bad = ((p["dislikes"] > p["likes"]).to_numpy() | ~on_time | p["petition_id"].isin(repeated).to_numpy())
    per = pd.DataFrame({"unit": p["unit"].to_numpy(), "comp": comp, "comp_ok": comp & on_time, "first": first,
                        "first_ok": first & ~bad, "recv": recv_in,
                        "tthc": recv_in & (p["category"] == "TTHC").to_numpy(),
                        "staff": recv_in & (p["category"] == "CAN_BO").to_numpy()})
    u = tree.rollup(per.groupby("unit").sum())
    return {"PETITION_PROCESSING_ON_TIME": (u["comp_ok"], u["comp"]),
            "PETITION_HANDLING_SATISFACTION": (u["first_ok"], u["first"]),
            "PETITION_CLASSIFICATION_TTHC": (u["tthc"], u["recv"]),
            "PETITION_CLASSIFICATION_STAFF": (u["staff"], u["recv"])}


def _score(tree: _Tree, counts: dict, period: Period) -> pd.DataFrame:
    units = tree.units
    frames = []
    root = tree.root.reindex(units.index)
    for rule in CRITERIA:
        num, den = counts[rule.code]
        num = num.reindex(units.index).astype(float).fillna(0)
        den = den.reindex(units.index).astype(float).fillna(0)
        pos = den > 0
        ratio = (num / den.where(pos)).astype(float)
        if rule.method == "tracking":
            points = pd.Series(0.0, index=units.index)
            state = pd.Series("tracking", index=units.index)
        elif rule.method == "not_measured":
            points = pd.Series(rule.max_points if rule.not_measured_rule == "full" else 0.0, index=units.index)
            state = pd.Series("not_measured", index=units.index)
            num = den = ratio = pd.Series(np.nan, index=units.index)
        else:
            raw = rule.max_points * ratio if rule.method == "linear" else np.minimum(
                rule.max_points, rule.max_points * ratio / rule.target)
            zero_pts = {"full": rule.max_points, "zero": 0.0, "not_scored": 0.0}[rule.zero_rule]
            zero_state = {"full": "full", "zero": "zero", "not_scored": "no_data"}[rule.zero_rule]
            if rule.code == "DOSSIER_SYNC":
                ratio = ratio.where(pos, 0.0)  # the method: ratio 0 when every fallback is 0
            points = pd.Series(np.where(pos, raw, zero_pts), index=units.index).astype(float)
            state = pd.Series(np.where(pos, "scored", zero_state), index=units.index)
        points = pd.Series(round_half_up(points.to_numpy()), index=units.index)
        df = pd.DataFrame({"numerator": num, "denominator": den, "ratio": ratio, "points": points, "state": state})
        if rule.scope == "root":
            below = units["type"].ne("NATION") & ~units["type"].isin(ROOT_TYPES) & root.notna()
            src = root[below]
            inherited = df.loc[src.to_numpy()].set_axis(src.index)
            inherited["state"] = "inherited"
            df.loc[src.index] = inherited
        df["criterion"] = rule.code
        df["group"] = rule.group
        df["max_points"] = float(rule.max_points)
        frames.append(df)
    t = pd.concat(frames)
    t.index.name = "unit_code"
    t = t.reset_index()
    info = units[["name", "type", "parent", "id_danh_gia"]].rename(
        columns={"name": "unit_name", "type": "unit_type", "parent": "parent_code"})
    t = t.join(info, on="unit_code")
    t["root_code"] = t["unit_code"].map(tree.root)
    t["period"] = period.key
    t["time_type"] = period.time_type
    cols = ["unit_code", "unit_name", "unit_type", "parent_code", "id_danh_gia", "root_code", "period", "time_type",
            "group", "criterion", "numerator", "denominator", "ratio", "points", "max_points", "state"]
    return t[cols].reset_index(drop=True)


def group_points(table: pd.DataFrame) -> pd.DataFrame:
    """Per unit: the six group points (sums of rounded criterion points), total and band."""
    g = table.pivot_table(index="unit_code", columns="group", values="points", aggfunc="sum").reindex(
        columns=[c for c, _ in GROUPS], fill_value=0.0)
    g = g.apply(lambda c: round_half_up(c.to_numpy()))
    g["total"] = round_half_up(g[[c for c, _ in GROUPS]].sum(axis=1).to_numpy())
    g["band"] = [band_of(x) for x in g["total"]]
    return g


# ------------------------------------------------------------------------------------------------------------
# records from the simulator (fast columnar path) and the cache


def _month_key(y: int, m: int) -> str:
    return f"{y:04d}-{m:02d}"


def _shift(y: int, m: int, k: int) -> tuple[int, int]:
    i = y * 12 + m - 1 + k
    return i // 12, i % 12 + 1


def _sec_to_dt(sec: np.ndarray) -> np.ndarray:
    sec = np.asarray(sec, dtype=np.int64)
    return np.where(sec >= 0, sec.astype("datetime64[s]"), np.datetime64("NaT")).astype("datetime64[ns]")


def _frames(feed) -> Iterator[dict]:
    """A feed's parts (chunks of units), one at a time: a feed too large to keep (national) regenerates each part
    on demand and lets it go again once read, so memory holds the compact frames built from it, not every part."""
    for part in feed._parts:
        frame = part.frame()
        yield frame
        if not feed._keep:
            part.release()


def load_records(data, period: Period, as_of: datetime, route: str = "columnar") -> Records:
    """All records an evaluation of ``period`` needs, from a ``PortalData``.

    ``route='columnar'`` reads the generator's internal frames (the same data as the served rows, fast);
    ``route='json'`` renders every row and parses it as a client would (slow; for tests).
    """
    now = _local(as_of)
    first = data.first_period
    months = [(y, m) for y, m in period.months(now) if (y, m) >= first]
    if not months:
        raise ValueError(f"period {period.key} is outside the simulator's range")
    y0, m0 = months[0]
    cat_months = [mm for k in range(CATALOGUE_LOOKBACK_MONTHS, 0, -1) if (mm := _shift(y0, m0, -k)) >= first]
    cat_months += months
    dec_months = [mm for k in range(DECISION_LOOKBACK_MONTHS, 0, -1) if (mm := _shift(y0, m0, -k)) >= first]
    dec_months += months
    rc_months = [months[-1]]
    if (period.year - 1, 12) >= first:
        rc_months.insert(0, (period.year - 1, 12))
    units = units_from_structure(data.structure())

    def feed(ds, ym):
        return data.feed(ds, _month_key(*ym), as_of)

    if route == "json":
        rows: dict[str, list] = {k: [] for k in ("procedures", "publication-decisions", "dossiers", "petitions",
                                                 "ratings", "report-counts")}
        for ym in cat_months:
            f = feed("procedures", ym)
            rows["procedures"] += [dict(r, _month=ym[0] * 12 + ym[1] - 1) for r in f.rows(0, len(f))]
        for ym in dec_months:
            f = feed("publication-decisions", ym)
            rows["publication-decisions"] += f.rows(0, len(f))
        for ds in ("dossiers", "petitions", "ratings"):
            for ym in months:
                f = feed(ds, ym)
                rows[ds] += f.rows(0, len(f))
        for ym in rc_months:
            f = feed("report-counts", ym)
            rows["report-counts"] += f.rows(0, len(f))
        return records_from_rows(units, rows)

    cat = data.catalogue
    codes = data._codes
    rec = Records(units=units)
    # procedures
    pieces = []
    for ym in cat_months:
        for f in _frames(feed("procedures", ym)):
            ok = f["_defect"] != 3
            proc = f["proc"][ok]
            pieces.append(pd.DataFrame({
                "procedure_code": cat.code[proc], "unit_code": codes[f["uid"][ok]],
                "level": f["level"][ok].astype(np.int64), "fee": cat.fee[proc], "integrated": f["pay"][ok],
                "paper": cat.paper[proc], "citizen": cat.citizen[proc], "time_limit": cat.t[proc],
                "public": f["status"][ok] <= 1, "full_content": f["full"][ok],
                "month": ym[0] * 12 + ym[1] - 1}))
    rec.procedures = pd.concat(pieces, ignore_index=True)
    # decisions
    items = []
    for ym in dec_months:
        for f in _frames(feed("publication-decisions", ym)):
            for i in range(len(f["so"])):
                if f["_defect"][i] == 2:
                    continue
                procs, eff, pub = f["items"][i]
                keep = np.ones(len(procs), bool)
                if f["_defect"][i] == 3:
                    keep[int(f["dsel"][i]) % len(procs)] = False
                pub = np.where(pub <= f["as_of"], pub, -1)
                items.append(pd.DataFrame({
                    "decision_no": f["so"][i], "decision_date": np.datetime64(f["day"][i], "ns"),
                    "issuer_code": codes[f["iss"][i]], "procedure_code": cat.code[procs[keep]],
                    "effective_date": eff[keep].astype("datetime64[ns]"), "public_at": _sec_to_dt(pub[keep])}))
    if items:
        rec.decisions = pd.concat(items, ignore_index=True).drop_duplicates(["decision_no", "procedure_code"],
                                                                            keep="last")
    # dossiers, supplements, ratings, petitions
    dos, sup, rat, pet = [], [], [], []
    def key(uid, day, seq):
        return uid.astype(np.int64) * 10**10 + day.astype("datetime64[D]").astype(np.int64) * 10**4 + seq

    for ym in months:
        for f in _frames(feed("dossiers", ym)):
            ok = np.flatnonzero(~np.isin(f["_defect"], (2, 3, 4)))
            sl = f["slots"][ok]
            term = f["term"][ok]
            tvis = sl[:, S_TERM] >= 0
            k = key(f["uid"][ok], f["day"][ok], f["seq"][ok])
            comp = f["comp"][ok]
            ncomp = f["ncomp"][ok].astype(np.int64)
            present = np.arange(4)[None, :] < ncomp[:, None]
            fee, fee2 = f["fee"][ok], f["fee2"][ok]

            def at(col, cond, sl=sl):
                return _sec_to_dt(np.where(cond, sl[:, col], -1))

            dos.append(pd.DataFrame({
                "dossier_id": k, "procedure_code": cat.code[f["proc"][ok]], "unit_code": codes[f["uid"][ok]],
                "channel": f["channel"][ok].astype(np.int64), "received_at": at(S_RECV, True),
                "due_at": _sec_to_dt(f["due"][ok]), "processed_at": at(S_TERM, tvis & (term == 9)),
                "returned_at": at(S_RET, True), "stopped_at": at(S_TERM, tvis & (term == 8)),
                "refused_at": at(S_TERM, tvis & (term == 3)), "withdrawn_at": at(S_TERM, tvis & (term == 7)),
                "has_e_result": tvis & (term == 9) & f["eresult"][ok],
                "all_digitised": ((comp[:, :, 0] == 1) | ~present).all(axis=1),
                "any_reused": ((comp[:, :, 1] == 1) & present).any(axis=1),
                "any_personal_store": ((comp[:, :, 2] == 1) & present).any(axis=1),
                "fee_all_zero": (fee <= 0) & (fee2 <= 0), "paid_online": (f["pay"][ok] > 0) & (fee >= 0),
                "vneid": f["vneid"][ok] == 1, "population_db": (f["csdl"][ok] & 1) == 1, "synced": f["sync"][ok] == 1,
            }))
            for rq, dn in ((S_S1, S_S1D), (S_S2, S_S2D)):
                has = sl[:, rq] >= 0
                sup.append(pd.DataFrame({"dossier_id": k[has], "requested_at": _sec_to_dt(sl[has, rq]),
                                         "completed_at": _sec_to_dt(sl[has, dn])}))
        for f in _frames(feed("ratings", ym)):
            ok = f["_defect"] != 2
            rat.append(pd.DataFrame({"dossier_id": key(f["uid"][ok], f["day"][ok], f["seq"][ok]),
                                     "rated_at": _sec_to_dt(f["t"][ok]),
                                     "result": np.array(RATING, dtype=object)[f["res"][ok]]}))
        for f in _frames(feed("petitions", ym)):
            ok = ~np.isin(f["_defect"], (2, 3))
            sl = f["slots"][ok]
            public = sl[:, 4] >= 0
            hl = f["hailong"][ok]
            proc = f["proc"][ok]
            ou = f["orig_uid"][ok]
            okey = key(np.maximum(ou, 0), f["orig_day"][ok], f["orig_seq"][ok])
            pet.append(pd.DataFrame({
                "petition_id": key(f["uid"][ok], f["day"][ok], f["seq"][ok]), "unit_code": codes[f["uid"][ok]],
                "procedure_code": np.where(proc >= 0, cat.code[np.maximum(proc, 0)], None),
                "category": np.array(("TTHC", "CAN_BO", "KHAC"), dtype=object)[f["phan_loai"][ok]],
                "in_competence": f["in_scope"][ok] == 1, "sent_at": _sec_to_dt(sl[:, 0]),
                "received_at": _sec_to_dt(sl[:, 1]), "transferred_at": _sec_to_dt(sl[:, 2]),
                "handled_at": _sec_to_dt(sl[:, 3]), "refused_at": _sec_to_dt(sl[:, 5]),
                "likes": np.where(public, f["likes"][ok], 0).astype(np.int64),
                "dislikes": np.where(public, f["dislikes"][ok], 0).astype(np.int64),
                "satisfied": np.where(public & (hl >= 0), hl, np.nan).astype(float),
                "original_id": pd.array(np.where(ou >= 0, okey, -1)).astype(object)}))
            pet[-1]["original_id"] = pet[-1]["original_id"].where(ou >= 0, None)
    if dos:
        rec.dossiers = pd.concat(dos, ignore_index=True).drop_duplicates("dossier_id", keep="last")
        rec.supplements = pd.concat(sup, ignore_index=True).drop_duplicates(["dossier_id", "requested_at"],
                                                                            keep="last")
    if rat:
        rec.ratings = pd.concat(rat, ignore_index=True).drop_duplicates(["dossier_id", "rated_at"], keep="last")
    if pet:
        rec.petitions = pd.concat(pet, ignore_index=True).drop_duplicates("petition_id", keep="last")
    rc = []
    for ym in rc_months:
        for f in _frames(feed("report-counts", ym)):
            rc.append(pd.DataFrame({"unit_code": codes[f["uid"]], "month": f["ky"], "count": f["n"].astype(float)}))
    rec.report_counts = pd.concat(rc, ignore_index=True).drop_duplicates(["unit_code", "month"], keep="last")
    return rec


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()
_COMPUTING: dict[tuple, threading.Lock] = {}  # one lock per value being computed (single flight)


def _cached(store: weakref.WeakKeyDictionary, data, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, cached per ``data`` and ``key`` in a small LRU, computed once however many ask at a time.

    Single flight: concurrent requests for the same value (a client retrying a slow evaluation, the endpoints of a
    month's walk) wait for the one computation instead of each starting their own, which at national scale would
    take minutes and gigabytes apiece. A cached value is returned without a flight; a flight's lock is in
    ``_COMPUTING`` only while its value is being computed."""
    name = (id(store), id(data), key)
    with _CACHE_LOCK:
        cache = store.setdefault(data, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        flight = _COMPUTING.setdefault(name, threading.Lock())
    with flight:
        with _CACHE_LOCK:
            if key in cache:  # computed by the flight this request waited for
                cache.move_to_end(key)
                return cache[key]
        try:
            value = compute()
            with _CACHE_LOCK:
                cache[key] = value
                while len(cache) > _CACHE_SIZE:
                    cache.popitem(last=False)
        finally:  # cached before the flight ends: a request arriving in between finds it, never recomputes
            with _CACHE_LOCK:
                if _COMPUTING.get(name) is flight:  # not a newer flight started after this one failed
                    del _COMPUTING[name]
    return value


def evaluation_table(data, period: Period, as_of: datetime) -> pd.DataFrame:
    """``evaluate`` over a PortalData's records (cached; see ``evaluation_of``)."""
    return evaluation_of(data, period, as_of).table


def evaluation_of(data, period: Period, as_of: datetime) -> Evaluation:
    """``evaluate_full`` over a PortalData's records, cached per (period, as_of to the minute); see ``_cached``."""
    return _cached(_CACHE, data, (period, _local(as_of).floor("min")),
                   lambda: evaluate_full(load_records(data, period, as_of), period, as_of))


# ------------------------------------------------------------------------------------------------------------
# responses (PORTAL_API.md section 2)

METRIC_ENDPOINTS = {"transparency": "CKMB", "dossier-digitized": "MDSH", "handling-satisfaction": "MDHL"}
TREE_ENDPOINTS = {"dvc-progress-tree": "TDGQ", "provide-online-tree": "CLGQ", "formality-online-payment-tree": "TTTT"}
ENDPOINTS = (*METRIC_ENDPOINTS, *TREE_ENDPOINTS, "service-results")
BLOCKS = {"province": "PROVINCE", "ministry": "MINISTRY", "department": "PROVINCIAL_DEPARTMENT",
          "district": "DISTRICT_PEOPLE_COMMITTEE", "commune": "COMMUNE_PEOPLE_COMMITTEE", "ministry_unit": "MINISTRY_UNIT"}
DEPARTMENT_LEVEL = {"NATION": "NATION", "PROVINCE": "PROVINCE", "MINISTRY": "MINISTRY",
                    "PROVINCIAL_DEPARTMENT": "DEPARTMENT", "MINISTRY_UNIT": "DEPARTMENT",
                    "DISTRICT_PEOPLE_COMMITTEE": "DISTRICT", "COMMUNE_PEOPLE_COMMITTEE": "COMMUNE"}
STATE_QUALITY = {"no_data": ("NO_DATA", "Không có dữ liệu trong kỳ"),
                 "not_measured": ("NOT_MEASURED", "Chưa đo lường, tính đủ điểm"),
                 "inherited": ("INHERITED", "Kế thừa từ cấp tỉnh/bộ")}


def department_code(code: str) -> str:
    """The portal's own code: ``000.00.00.H44`` -> ``H44``; ``000.00.11.H44`` -> ``H44.11``;
    ``042.00.00.K25`` -> ``K25.042``; ``007.31.00.H25`` -> ``H25.31.007``; nation roots -> ``VN``."""
    if code.startswith("NATION"):
        return "VN"
    parts = code.split(".")
    if len(parts) != 4:
        return code
    tail = [p for p in (parts[2], parts[1], parts[0]) if int(p or 0) != 0]
    return ".".join([parts[3], *tail])


def _num(x) -> float | int | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    x = float(x)
    return int(x) if x.is_integer() else round(x, 2)


def _pct(num, den) -> float | None:
    if den is None or not den or (isinstance(den, float) and math.isnan(den)):
        return None
    return float(round_half_up(100.0 * num / den))


def _int_field(body: dict, name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
    v = body.get(name, default)
    if v is None:
        v = default
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an integer {lo}..{hi}")
    return v


_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _view_of(data, period: Period, as_of: datetime) -> _View:
    """The response view of a period, cached like ``evaluation_of`` (a month's walk asks for it hundreds of times)."""
    return _cached(_VIEWS, data, (period, _local(as_of).floor("min")), lambda: _View(data, period, as_of))


def prepare(data, month: str, as_of: datetime, time_types: tuple[str, ...] = ("month", "quarter", "year")) -> None:
    """Computes (and caches) what the evaluation endpoints serve for ``month`` (YYYY-MM) at ``as_of``: the month,
    its quarter and its year (``time_types`` of them), as a month's extraction asks for all three by default, each
    with the period before (for ``scoreDelta``). A server about to serve a medium or national month calls this
    before it listens, since computing a period on a request outlasts a client's timeout there (a quarter or a year
    reads months of records)."""
    year, number = (int(p) for p in month.split("-"))
    periods = {"month": Period("month", year, number), "quarter": Period("quarter", year, (number - 1) // 3 + 1),
               "year": Period("year", year)}
    for time_type in time_types:
        _view_of(data, periods[time_type], as_of)


class _View:
    """An evaluated period ready for responses: the table, its groups, the units and the previous period."""

    def __init__(self, data, period: Period, as_of: datetime):
        self.period = period
        ev = evaluation_of(data, period, as_of)
        self.table = ev.table
        self.end_in_force = ev.end_in_force
        self.depth = ev.depth
        # plain dicts: a response reads hundreds of cells, and pandas row access costs ~0.1 ms each
        self.by = {(r["unit_code"], r["criterion"]): r for r in self.table.to_dict("records")}
        self.groups = group_points(self.table)
        self.extra = ev.extra
        units = self.table.drop_duplicates("unit_code").set_index("unit_code")
        self.units = units
        self.unit_rows = units.to_dict("index")
        # the drill-down asks for every unit's children: lookups, not a scan of the table per request
        self.code_by_id = {row["id_danh_gia"]: code for code, row in reversed(self.unit_rows.items())}
        self.children_of: dict[str, list[str]] = {}
        for code, row in self.unit_rows.items():
            if code in self.end_in_force:
                self.children_of.setdefault(row["parent_code"], []).append(code)
        for children in self.children_of.values():
            children.sort()
        self.prev_groups = None
        prev = period.previous()
        try:
            if (prev.all_months[0]) >= data.first_period:
                self.prev_groups = group_points(evaluation_table(data, prev, as_of))
        except ValueError:
            self.prev_groups = None

    def unit(self, code: str) -> dict:
        u = self.unit_rows[code]
        return {"departmentId": u["id_danh_gia"], "departmentName": u["unit_name"], "departmentType": u["unit_type"],
                "departmentLevel": DEPARTMENT_LEVEL.get(u["unit_type"], u["unit_type"])}

    def delta(self, code: str, column: str) -> float | None:
        if self.prev_groups is None or code not in self.prev_groups.index:
            return None
        return float(round_half_up(self.groups.at[code, column] - self.prev_groups.at[code, column]))

    def metric(self, code: str, criterion: str) -> dict:
        r = self.by[(code, criterion)]
        scored = r["state"] not in ("no_data", "tracking")
        m = {"code": criterion, "name": RULE[criterion].name, "numerator": _num(r["numerator"]),
             "denominator": _num(r["denominator"]), "ratio": None, "score": float(r["points"]) if scored else None,
             "maxScore": _num(r["max_points"])}
        if criterion == "AVG_PROCESSING_DAYS":
            m["ratio"] = None if pd.isna(r["ratio"]) else float(round_half_up(r["ratio"]))
        elif not pd.isna(r["denominator"]) and r["denominator"] > 0:
            m["ratio"] = _pct(r["numerator"], r["denominator"])
        elif criterion == "DOSSIER_SYNC":
            m["ratio"] = 0.0
        if r["state"] in STATE_QUALITY:
            m["dataQualityStatus"], m["dataQualityMessage"] = STATE_QUALITY[r["state"]]
        return m

    def counts(self, code: str, criterion: str) -> tuple[float, float]:
        r = self.by[(code, criterion)]
        return r["numerator"], r["denominator"]


def _resolve_root(view: _View, body: dict) -> tuple[str, list[str]]:
    """The root unit and its direct subordinates (units in force on the period's last evaluated day)."""
    root_id = body.get("rootDepartmentId")
    block = body.get("block", "province")
    if root_id in (None, ""):
        if block not in ("province", "ministry"):
            raise ValueError("block must be 'province' or 'ministry' when rootDepartmentId is not given")
        root = NATION_PROVINCES if block == "province" else NATION_MINISTRIES
    else:
        if not isinstance(root_id, str):
            raise ValueError("rootDepartmentId must be a string")
        root = view.code_by_id.get(root_id)
        if root is None:
            raise ValueError(f"rootDepartmentId {root_id!r} is not a unit evaluated in {view.period.key}")
    return root, view.children_of.get(root, [])


def _page(body: dict, items: list) -> tuple[list, dict]:
    page = _int_field(body, "currentPage", 1, 1, 1_000_000)
    size = _int_field(body, "pageSize", 100, 1, 10_000)
    total = len(items)
    return items[(page - 1) * size: page * size], {
        "currentPage": page, "pageSize": size, "totalElements": total, "totalPages": max(1, math.ceil(total / size))}


def _metric_unit(view: _View, code: str, group: str, stt: int) -> dict:
    score = float(view.groups.at[code, group])
    return {"stt": stt, **view.unit(code), "totalScore": score, "totalMaxScore": _num(GROUP_MAX[group]),
            "ratio": _pct(score, GROUP_MAX[group]), "scoreDelta": view.delta(code, group),
            "metrics": [view.metric(code, r.code) for r in CRITERIA if r.group == group]}


def _tree_counts(view: _View, code: str, group: str) -> dict:
    c = view.counts
    ex = view.extra
    if group == "TDGQ":
        on, rec = c(code, "DOSSIER_ON_TIME")
        days, n = c(code, "AVG_PROCESSING_DAYS")
        out = {"totalOnTime": _num(on), "totalReceived": _num(rec), "totalOverdue": _num(rec - on),
               "totalCompleted": _num(ex.at[code, "completed"]),
               "avgProcessingDays": float(round_half_up(days / n)) if n else None}
        out["monthlyChart"] = [{"period": view.period.key, "totalReceived": out["totalReceived"],
                                "totalOnTime": out["totalOnTime"]}]
        return out
    if group == "CLGQ":
        _, auth = c(code, "ONLINE_SERVICE_PROVIDED")
        with_d, online = c(code, "ONLINE_SERVICE_WITH_DOSSIERS")
        ch_on, ch_all = c(code, "ONLINE_DOSSIER_SUBMISSION")
        return {"partialCount": _num(ex.at[code, "partial"]), "fullCount": _num(ex.at[code, "full"]),
                "authorityCount": _num(auth), "onlineDossierCount": _num(with_d), "onlineServiceTotal": _num(online),
                "channelOnlineSum": _num(ch_on), "channelTotalSum": _num(ch_all),
                "channelDirectSum": _num(ex.at[code, "direct"])}
    paid, oblig = c(code, "ONLINE_PAYMENT_DOSSIERS")
    f_paid, f_all = c(code, "ONLINE_PAYMENT_FORMALITIES")
    f_int, _ = c(code, "PAYMENT_INTEGRATED_FORMALITIES")
    return {"totalDossierOnlinePaymentSuccess": _num(paid), "totalDossierFinancialObligation": _num(oblig),
            "totalDossierOnlineFormalityPaymentSuccess": _num(f_paid), "totalFeeFormality": _num(f_all),
            "totalFeeDossierFormality": _num(f_int), "totalFeeDossierFormalityDistinct": _num(f_int)}


def _tree_node(view: _View, code: str, group: str) -> dict:
    u = view.unit(code)
    return {"departmentId": u["departmentId"], "departmentName": u["departmentName"],
            "departmentCode": department_code(code), "departmentType": u["departmentType"],
            **_tree_counts(view, code, group)}


def respond(data, endpoint: str, body: Any, as_of: datetime) -> dict:
    """The ``data`` object of ``POST /api/v1/reporting/evaluation/{endpoint}``; ValueError on a bad request."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown evaluation endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    period = make_period(body.get("timeType"), body.get("year"), body.get("month"), body.get("quarter"))
    now = _local(as_of)
    fy, fm = data.first_period
    if period.start > now:
        raise ValueError(f"period {period.key} has not started yet")
    if period.all_months[-1] < (fy, fm):
        raise ValueError(f"period {period.key} is before the portal's first period {fy:04d}-{fm:02d}")
    view = _view_of(data, period, as_of)
    if endpoint == "service-results":
        return _service_results(view, body)
    root, children = _resolve_root(view, body)
    if endpoint in METRIC_ENDPOINTS:
        group = METRIC_ENDPOINTS[endpoint]
        page, paging = _page(body, children)
        offset = (paging["currentPage"] - 1) * paging["pageSize"]
        return {"overview": _metric_unit(view, root, group, 1),
                "evaluation": [_metric_unit(view, c, group, offset + i + 1) for i, c in enumerate(page)], **paging}
    group = TREE_ENDPOINTS[endpoint]
    page, paging = _page(body, children)
    parent = _tree_node(view, root, group)
    parent.update(totalScore=float(view.groups.at[root, group]), totalMaxScore=_num(GROUP_MAX[group]))
    kids = []
    root_depth = int(view.depth.get(root, 0))
    for c in page:
        node = _tree_node(view, c, group)
        node["level"] = root_depth + 1
        score = float(view.groups.at[c, group])
        if endpoint == "dvc-progress-tree":
            node.update(score=score, maxScore=_num(GROUP_MAX[group]))
        else:
            node.update(totalScore=score, totalMaxScore=_num(GROUP_MAX[group]))
        kids.append(node)
    return {"parent": parent, "children": kids, **paging}


def _service_results(view: _View, body: dict) -> dict:
    block = body.get("block", "province")
    if block not in BLOCKS:
        raise ValueError(f"block must be one of {', '.join(BLOCKS)}")
    utype = BLOCKS[block]
    tbl = view.units
    in_force = view.end_in_force
    codes = [c for c in tbl.index[tbl["unit_type"] == utype] if c in in_force]
    root_id = body.get("rootDepartmentId")
    if root_id not in (None, ""):
        hit = tbl.index[tbl["id_danh_gia"] == root_id]
        if len(hit) == 0:
            raise ValueError(f"rootDepartmentId {root_id!r} is not a unit evaluated in {view.period.key}")
        codes = [c for c in codes if tbl.at[c, "root_code"] == hit[0] or c == hit[0]]
    codes.sort()
    page, paging = _page(body, codes)
    offset = (paging["currentPage"] - 1) * paging["pageSize"]
    items = []
    for i, c in enumerate(page):
        g = view.groups.loc[c]
        items.append({"stt": offset + i + 1, **view.unit(c), "departmentCode": department_code(c),
                      "groups": [{"code": gc, "name": gn, "score": float(g[gc]), "maxScore": _num(GROUP_MAX[gc])}
                                 for gc, gn in GROUPS],
                      "totalScore": float(g["total"]), "totalMaxScore": 100, "band": g["band"],
                      "scoreDelta": view.delta(c, "total")})
    return {"period": view.period.key, "timeType": view.period.time_type, "block": block, "content": items, **paging}
