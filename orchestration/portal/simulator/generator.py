"""Deterministic record generator of the portal simulator (PORTAL_API.md section 1).

Everything is generated column-wise with numpy from Generators seeded by (seed, dataset, year, month[, chunk]), so
a month never depends on which other months were generated before, and the same call gives byte-identical rows.
Only the renderers build rows, for the requested slice: per row as dicts (the definition), and for dossiers also
column-wise straight to JSON text (dossier_json.py), which is what the server sends.

How the data are made:

- Dossiers are generated per *receipt month* (a cohort) and chunk of units: counts per unit and working day
  (Poisson, from the unit's volume weight and the scale), then every attribute and the whole lifecycle (status slots
  1, 2, 4, 5, 4, 5, 4, 6, 3/7/8/9, 10 with their times). A period's feed is the union of the cohorts of the period
  and the ``LOOKBACK`` months before it, restricted to the dossiers active in the period (received on or before its
  end, last event on or after its start). Every lifecycle ends within ``MAX_LIFETIME_DAYS`` of receipt.
- Ratings are drawn per dossier cohort (on dossiers that ended with a result), petitions per petition cohort.
- ``as_of``: events after it are invisible (status = last visible event, later dates null, QuaTrinhXuLy
  truncated); records received after it are absent; ~1% of the records of each cohort are "synced late" and only
  appear once ``as_of`` >= end of their month + 10..60 days. ``as_of`` is taken to the minute; values past the
  period's horizon (when nothing can change any more) give the same feed.
- Defects: each record draws, once, whether it carries a defect (probability ``defect_rate``) and which one, so a
  record keeps its defect when a month is restated. Kinds per feed: dossiers: duplicate_record,
  unparseable_date, unknown_procedure, negative_fee (only on records with a fee list); petitions: duplicate_record,
  unparseable_date, unknown_procedure (only on petitions with a procedure); ratings: duplicate_record,
  unparseable_date; procedures and publication-decisions: duplicate_record (and unparseable_date for decisions),
  not unknown_procedure: the catalogue defines which codes exist, and a decision may name a procedure not yet (or
  no longer) in it, so an unknown code cannot be told there; units and report-counts: duplicate_record only (so the structure stays
  usable). Row order is by key as generated (a defect that alters a key field does not move the row).
- Quality: every unit has a latent quality per month (structure.quality_at); every share that the methodology
  scores (on-time, online, payment, digitisation, VNeID, sync, ratings, petitions, publication) is a function of
  it, tuned so that a month's 100-point totals spread roughly 45..97.

Conventions of the simulator: MaHoSo ``{unit code}-{yymmdd}-{seq:04d}`` (receipt date); MaPAKN
``{unit code}-PA-{yymmdd}-{seq:04d}`` (date sent); SoQuyetDinh ``{month*100+seq}/{yyyy}/QĐ-UBND-{H25|K25}`` for
provinces and ``.../QĐ-B{short code}`` for ministries; MaTTHC ``{1|2|3}.{6 digits}``; NgayHenTra is 17:00 of the
due working day (receipt + ThoiHanGiaiQuyet working days); NgayQuyetDinh and NgayHieuLucVanBan are dates
(yyyyMMdd), NgayCongKhai a date-time. CungCapChungThucDienTu is null for units other than communes.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property

import numpy as np
import orjson
import pandas as pd

from orchestration import calendar as vncal
from orchestration.gc_pause import gc_paused
from orchestration.portal.simulator import structure as st

DATASETS = ("units", "procedures", "publication-decisions", "dossiers", "petitions", "ratings", "report-counts")
KEY_FIELDS = {"units": ("MaDinhDanh",), "procedures": ("MaTTHC", "MaDinhDanh"),
              "publication-decisions": ("SoQuyetDinh",), "dossiers": ("MaHoSo",), "petitions": ("MaPAKN",),
              "ratings": ("MaHoSo", "NgayDanhGia"), "report-counts": ("MaDinhDanh", "Ky")}
SCALES = {"tiny": 3_000, "small": 100_000, "medium": 1_000_000, "national": 10_000_000}

VN_TZ = timezone(timedelta(hours=7))
LOOKBACK = 5  # cohorts of this many months before a period can still be active in it
MAX_LIFETIME_DAYS = 140
LATE_SYNC_SHARE = 0.01
CHUNK_DOSSIERS = 600_000  # expected dossiers per (cohort, chunk)
KEEP_ROWS = 3_000_000  # feeds with more rows regenerate their chunks on demand instead of keeping them
NA = np.int64(-1)

DEFECT_KINDS = {
    "units": ("duplicate_record",),
    "procedures": ("duplicate_record",),
    "publication-decisions": ("duplicate_record", "unparseable_date"),
    "dossiers": ("duplicate_record", "unparseable_date", "unknown_procedure", "negative_fee"),
    "petitions": ("duplicate_record", "unparseable_date", "unknown_procedure"),
    "ratings": ("duplicate_record", "unparseable_date"),
    "report-counts": ("duplicate_record",),
}
_DK = {"duplicate_record": 1, "unparseable_date": 2, "unknown_procedure": 3, "negative_fee": 4}
_DK_NAME = {v: k for k, v in _DK.items()}


@dataclass(frozen=True)
class SimulatorConfig:
    seed: int = 766
    scale: str = "small"
    defect_rate: float = 0.002  # share of served records of each feed that carry an injected defect
    first_period: str = "2022-08"


# ------------------------------------------------------------------------------------------------------------
# small helpers


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _parse_period(period: str) -> tuple[int, int]:
    try:
        y, m = period.split("-")
        y, m = int(y), int(m)
        if len(period) != 7 or not 1 <= m <= 12:
            raise ValueError
    except ValueError:
        raise ValueError(f"period must be YYYY-MM, got {period!r}") from None
    return y, m


def _shift(y: int, m: int, k: int) -> tuple[int, int]:
    i = y * 12 + (m - 1) + k
    return i // 12, i % 12 + 1


def _month_bounds(y: int, m: int) -> tuple[np.datetime64, np.datetime64]:
    first = np.datetime64(f"{y:04d}-{m:02d}-01", "D")
    ny, nm = _shift(y, m, 1)
    return first, np.datetime64(f"{ny:04d}-{nm:02d}-01", "D") - 1


def _sec(day) -> np.ndarray:
    """datetime64[D] -> seconds since epoch (local time) as int64."""
    return np.asarray(day, dtype="datetime64[D]").astype(np.int64) * 86400


def _fmt_num(sec: np.ndarray, date_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """int64 local seconds -> (yyyyMMddHHmmss (or yyyyMMdd) as int64, present); NA (<0) is not present."""
    sec = np.asarray(sec, dtype=np.int64)
    ok = sec >= 0
    s = np.where(ok, sec, 0)
    d = (s // 86400).astype("datetime64[D]")
    mo = d.astype("datetime64[M]")
    yy = mo.astype(np.int64) // 12 + 1970
    mm = mo.astype(np.int64) % 12 + 1
    dd = (d - mo.astype("datetime64[D]")).astype(np.int64) + 1
    if date_only:
        num = yy * 10000 + mm * 100 + dd
    else:
        tod = s % 86400
        num = ((yy * 10000 + mm * 100 + dd) * 1000000 + (tod // 3600) * 10000 + (tod // 60 % 60) * 100
               + tod % 60)
    return num, ok


def _fmt(sec: np.ndarray, date_only: bool = False) -> list:
    """int64 local seconds -> yyyyMMddHHmmss (or yyyyMMdd) strings; NA (<0) -> None."""
    num, ok = _fmt_num(sec, date_only)
    out = num.astype(str).tolist()
    return [v if k else None for v, k in zip(out, ok.tolist(), strict=True)]


def _yymmdd_num(day: np.ndarray) -> np.ndarray:
    d = np.asarray(day, dtype="datetime64[D]")
    mo = d.astype("datetime64[M]")
    return (mo.astype(np.int64) // 12 + 1970) % 100 * 10000 + (mo.astype(np.int64) % 12 + 1) * 100 + (
        (d - mo.astype("datetime64[D]")).astype(np.int64) + 1)


def _yymmdd(day: np.ndarray) -> list[str]:
    return [f"{v:06d}" for v in _yymmdd_num(day).tolist()]


def _working_tod(r: np.random.Generator, n: int) -> np.ndarray:
    """Seconds of day inside working hours (07:30-11:30, 13:00-17:00)."""
    morning = r.random(n) < 0.55
    minute = np.where(morning, r.integers(450, 690, n), r.integers(780, 1020, n))
    return minute * 60 + r.integers(0, 60, n)


def _monotone(slots: np.ndarray) -> None:
    """In place: make the present slot times strictly increasing (>= previous present + 60 s)."""
    last = slots[:, 0].copy()
    for j in range(1, slots.shape[1]):
        col = slots[:, j]
        present = col >= 0
        fixed = np.maximum(col, last + 60)
        slots[:, j] = np.where(present, fixed, NA)
        last = np.where(present, fixed, last)


def _choice_idx(r: np.random.Generator, probs, n: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(probs) / np.sum(probs), r.random(n), side="right").astype(np.int8)


# ------------------------------------------------------------------------------------------------------------
# names and text

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
            "Dương", "Lý", "Đinh", "Mai", "Trịnh", "Lương")
SURNAME_P = (38, 11, 9.5, 7, 5.1, 4, 4.5, 3.9, 2, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5, 0.6, 0.5, 0.5, 0.4)
MIDDLE_M = ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Xuân", "Công", "Hoàng", "Ngọc", "Tuấn", "Gia")
MIDDLE_F = ("Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Hồng", "Phương", "Bảo", "Mai", "Diệu")
GIVEN_M = ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa", "Long",
           "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Trung",
           "Tuấn", "Tùng", "Việt", "Vinh", "Đông")
GIVEN_F = ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan", "Linh", "Loan",
           "Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Tuyết", "Uyên",
           "Vân", "Yến", "Thủy", "Nga", "Xuân")
ORG_WORDS = ("Phát Đạt", "Thành Công", "Hưng Thịnh", "Minh Phát", "An Khang", "Đại Việt", "Hoàng Long", "Sao Mai",
             "Thiên Phú", "Trường An", "Việt Tiến", "Bình Minh", "Nam Á", "Tân Phong", "Hòa Bình", "Kim Cương")
ORG_KIND = ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
ORG_FIELD = ("Thương mại", "Xây dựng", "Dịch vụ", "Sản xuất", "Vận tải", "Công nghệ", "Nông sản", "Du lịch")
STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung", "Hùng Vương",
           "Điện Biên Phủ", "Nguyễn Trãi", "Lê Duẩn", "Phan Đình Phùng", "Võ Thị Sáu", "Trần Phú", "Nguyễn Du",
           "Bà Triệu", "Lê Thánh Tông", "Nguyễn Văn Cừ", "Phạm Văn Đồng", "Tôn Đức Thắng", "Ngô Quyền")

# procedure catalogue vocabulary: field -> objects
FIELDS = {
    "Hộ tịch": ("khai sinh", "khai tử", "kết hôn", "nhận cha, mẹ, con", "giám hộ", "thay đổi, cải chính hộ tịch"),
    "Chứng thực": ("bản sao từ bản chính", "chữ ký trong giấy tờ, văn bản", "hợp đồng, giao dịch",
                   "văn bản thỏa thuận phân chia di sản"),
    "Đất đai": ("quyền sử dụng đất", "biến động đất đai", "chuyển mục đích sử dụng đất",
                "giấy chứng nhận quyền sử dụng đất"),
    "Bảo trợ xã hội": ("trợ cấp xã hội hằng tháng", "hỗ trợ chi phí mai táng", "hộ nghèo, hộ cận nghèo",
                       "mức độ khuyết tật"),
    "Người có công": ("trợ cấp ưu đãi người có công", "chế độ thân nhân liệt sĩ", "chế độ thờ cúng liệt sĩ"),
    "Văn hóa cơ sở": ("danh hiệu gia đình văn hóa", "lễ hội truyền thống", "thư viện cơ sở"),
    "Thi đua, khen thưởng": ("giấy khen", "danh hiệu lao động tiên tiến", "bằng khen"),
    "Nông nghiệp": ("hỗ trợ thiệt hại do thiên tai", "kinh tế trang trại", "hỗ trợ giống cây trồng"),
    "Hộ kinh doanh": ("hộ kinh doanh", "thay đổi nội dung đăng ký hộ kinh doanh", "tạm ngừng kinh doanh"),
    "Xây dựng": ("giấy phép xây dựng", "giấy phép sửa chữa, cải tạo công trình",
                 "chứng chỉ hành nghề hoạt động xây dựng", "thiết kế xây dựng triển khai sau thiết kế cơ sở"),
    "Y tế": ("giấy phép hoạt động khám bệnh, chữa bệnh", "chứng chỉ hành nghề khám bệnh, chữa bệnh",
             "giấy chứng nhận đủ điều kiện kinh doanh dược", "hồ sơ công bố sản phẩm"),
    "Giáo dục": ("văn bằng, chứng chỉ", "hoạt động giáo dục", "trường mầm non tư thục", "trung tâm ngoại ngữ"),
    "Tài chính": ("doanh nghiệp", "mã số đơn vị có quan hệ với ngân sách", "giá đất cụ thể", "dự án đầu tư"),
    "Nội vụ": ("thành lập hội", "điều lệ hội", "giấy phép lao động cho người nước ngoài", "quỹ xã hội, quỹ từ thiện"),
    "Công Thương": ("giấy phép bán lẻ rượu", "giấy chứng nhận đủ điều kiện cửa hàng xăng dầu",
                    "giấy phép kinh doanh hóa chất", "giấy phép hoạt động điện lực"),
    "Môi trường": ("giấy phép môi trường", "kết quả thẩm định báo cáo đánh giá tác động môi trường",
                   "giấy phép khai thác nước dưới đất", "giấy phép khai thác khoáng sản"),
    "Khoa học, công nghệ": ("giấy chứng nhận đăng ký hoạt động khoa học và công nghệ",
                            "giấy phép tiến hành công việc bức xạ", "chứng chỉ nhân viên bức xạ"),
    "Du lịch": ("giấy phép kinh doanh dịch vụ lữ hành", "thẻ hướng dẫn viên du lịch",
                "hạng cơ sở lưu trú du lịch"),
    "Dân tộc, tôn giáo": ("sinh hoạt tôn giáo tập trung", "người có uy tín trong đồng bào dân tộc thiểu số",
                          "hoạt động tôn giáo ngoài cơ sở tôn giáo"),
    "Ngoại vụ": ("tổ chức hội nghị, hội thảo quốc tế", "xuất cảnh", "thẻ đi lại của doanh nhân APEC"),
    "Thanh tra, tiếp công dân": ("giải quyết khiếu nại lần đầu", "giải quyết khiếu nại lần hai", "giải quyết tố cáo"),
    "Khu công nghiệp": ("giấy chứng nhận đăng ký đầu tư", "giấy phép lao động trong khu công nghiệp",
                        "giấy chứng nhận xuất xứ hàng hóa"),
    "An ninh trật tự": ("con dấu", "giấy chứng nhận đủ điều kiện về an ninh, trật tự", "đăng ký xe",
                        "nghiệm thu về phòng cháy và chữa cháy"),
    "Giao thông": ("giấy phép lái xe", "phù hiệu xe kinh doanh vận tải", "giấy phép thi công công trình đường bộ",
                   "đăng kiểm phương tiện"),
    "Lao động, việc làm": ("trợ cấp thất nghiệp", "giấy phép hoạt động dịch vụ việc làm",
                           "thỏa ước lao động tập thể"),
}
ACTIONS = ("Cấp", "Cấp lại", "Cấp đổi", "Điều chỉnh", "Gia hạn", "Đăng ký", "Xác nhận", "Thẩm định", "Công nhận",
           "Thu hồi", "Đăng ký lại", "Cấp bản sao")
XA_FIELDS = ("Hộ tịch", "Chứng thực", "Đất đai", "Bảo trợ xã hội", "Người có công", "Văn hóa cơ sở",
             "Thi đua, khen thưởng", "Nông nghiệp")
HUYEN_FIELDS = ("Hộ kinh doanh", "Đất đai", "Xây dựng", "Giáo dục", "Lao động, việc làm", "Hộ tịch",
                "Bảo trợ xã hội", "Thanh tra, tiếp công dân")
DEPT_FIELDS = (("Hộ tịch", "Chứng thực"), ("Y tế",), ("Tài chính",), ("Xây dựng", "Giao thông"),
               ("Nội vụ", "Lao động, việc làm", "Thi đua, khen thưởng"), ("Giáo dục",), ("Công Thương",),
               ("Nông nghiệp", "Môi trường", "Đất đai"), ("Khoa học, công nghệ",), ("Du lịch", "Văn hóa cơ sở"),
               ("Dân tộc, tôn giáo",), ("Ngoại vụ",), ("Thanh tra, tiếp công dân",), ("Khu công nghiệp",),
               ("An ninh trật tự",))
POOL_SIZE = {"XA": 60, "HUYEN": 80, "TINH": 40, "BO": 60}
DOI_TUONG = ("CONG_DAN_VN", "NGUOI_VN_O_NUOC_NGOAI", "NGUOI_NUOC_NGOAI", "DOANH_NGHIEP", "TO_CHUC_KHAC")
MUC_DO = ("THONG_TIN", "MOT_PHAN", "TOAN_TRINH")
CONG_KHAI = ("DANG_CONG_KHAI", "DANG_CONG_KHAI_SUA_DOI", "CHO_CONG_KHAI", "BAI_BO")
RATING = ("RAT_HAI_LONG", "HAI_LONG", "BINH_THUONG", "KHONG_HAI_LONG", "RAT_KHONG_HAI_LONG")
PAKN_STATUS = ("MOI", "DANG_XU_LY", "CHO_CONG_KHAI", "DA_CONG_KHAI", "TU_CHOI")
PHAN_LOAI = ("TTHC", "CAN_BO", "KHAC")
# dossier status slots
SLOT_STATUS = ("1", "2", "4", "5", "4", "5", "4", "6", None, "10")
S_SUB, S_RECV, S_PROC, S_S1, S_S1D, S_S2, S_S2D, S_FIN, S_TERM, S_RET = range(10)
PROCS_PER_UNIT = {"tiny": (5, 8), "small": (20, 30), "medium": (20, 30), "national": (20, 30)}


# ------------------------------------------------------------------------------------------------------------
# the procedure catalogue and each unit's procedures


class Catalogue:
    """National procedure catalogue and the procedures of each unit (deterministic from the seed)."""

    def __init__(self, seed: int, units: pd.DataFrame, scale: str):
        r = st.rng(seed, "catalogue")
        pools: list[tuple[str, str | int, tuple[str, ...]]] = [("XA", "", XA_FIELDS), ("HUYEN", "", HUYEN_FIELDS)]
        pools += [("TINH", i, f) for i, f in enumerate(DEPT_FIELDS)]
        field_names = list(FIELDS)
        for short in sorted(units.loc[units["type"] == "MINISTRY", "ministry"]):
            k = st.stable_int("ministry-fields", short)
            pools.append(("BO", short, tuple(field_names[(k + j * 7) % len(field_names)] for j in range(3))))
        codes_used: set[str] = set()
        recs = []
        pool_members: dict[tuple[str, str | int], np.ndarray] = {}
        for level, key, fields in pools:
            n = POOL_SIZE[level]
            start = len(recs)
            for _ in range(n):
                while True:
                    code = f"{r.choice([1, 1, 2, 3])}.{r.integers(0, 1_000_000):06d}"
                    if code not in codes_used:
                        codes_used.add(code)
                        break
                fi = int(r.integers(len(fields)))
                field = fields[fi]
                obj = FIELDS[field][int(r.integers(len(FIELDS[field])))]
                name = f"{ACTIONS[int(r.integers(len(ACTIONS)))]} {obj}"
                if level == "XA":
                    t = int(r.choice([1, 1, 2, 3, 3, 5, 5, 7, 10]))
                    dt = ["CONG_DAN_VN"] + (["NGUOI_VN_O_NUOC_NGOAI"] if r.random() < 0.3 else [])
                elif level == "HUYEN":
                    t = int(r.choice([3, 5, 7, 10, 15, 20]))
                    dt = (["CONG_DAN_VN"] if r.random() < 0.8 else []) + (["DOANH_NGHIEP"] if r.random() < 0.4 else [])
                elif level == "TINH":
                    t = int(r.choice([5, 7, 10, 15, 20, 30]))
                    dt = [d for d, p in zip(DOI_TUONG, (0.6, 0.2, 0.15, 0.6, 0.3), strict=True) if r.random() < p]
                else:
                    t = int(r.choice([10, 15, 20, 30, 45]))
                    dt = [d for d, p in zip(DOI_TUONG, (0.5, 0.2, 0.2, 0.7, 0.4), strict=True) if r.random() < p]
                if not dt:
                    dt = ["CONG_DAN_VN"]
                cap = {"XA": ["XA"], "HUYEN": ["HUYEN"], "TINH": ["TINH"], "BO": ["BO"]}[level]
                if level == "XA" and r.random() < 0.2:
                    cap = ["HUYEN", "XA"]
                if level == "TINH" and r.random() < 0.15:
                    cap = ["TINH", "HUYEN"]
                fee = r.random() < (0.25 if level == "XA" else 0.5)
                recs.append(dict(
                    ma=code, ten=_nfc(name), ma_lv=f"LV{field_names.index(field) + 1:03d}", ten_lv=_nfc(field),
                    cap=cap, fee=int(fee), fee_amount=int(r.choice([10, 20, 30, 50, 100, 150, 200, 500, 1000])) * 1000,
                    paper=int(r.random() < 0.7), doituong=dt, t=t, ncomp=int(r.integers(1, 5)),
                    citizen=bool(set(dt) & {"CONG_DAN_VN", "NGUOI_VN_O_NUOC_NGOAI", "NGUOI_NUOC_NGOAI"}),
                    level=level))
            pool_members[(level, key)] = np.arange(start, len(recs))
        self.table = pd.DataFrame(recs)
        self.code = self.table["ma"].to_numpy(dtype=object)
        self.t = self.table["t"].to_numpy(np.int64)
        self.fee = self.table["fee"].to_numpy(bool)
        self.fee_amount = self.table["fee_amount"].to_numpy(np.int64)
        self.paper = self.table["paper"].to_numpy(bool)
        self.ncomp = self.table["ncomp"].to_numpy(np.int64)
        self.citizen = self.table["citizen"].to_numpy(bool)
        self.code_rank = np.argsort(np.argsort(self.code.astype(str), kind="stable"), kind="stable")

        # each unit's procedures: a random ordered subset of its pool (the order is the popularity rank)
        n_xa, n_other = PROCS_PER_UNIT[scale]
        n_units = len(units)
        lists: list[np.ndarray] = [np.empty(0, np.int64)] * n_units
        utype = units["type"].to_numpy(dtype=object)
        vf = units["valid_from"].to_numpy()
        dept = units["dept"].to_numpy()
        ministry = units["ministry"].to_numpy(dtype=object)
        tinh_all = np.concatenate([pool_members[("TINH", i)] for i in range(len(DEPT_FIELDS))])
        ru = st.rng(seed, "unit-procedures", scale)
        for i in range(n_units):
            t = utype[i]
            if t == "COMMUNE_PEOPLE_COMMITTEE":
                pool = pool_members[("XA", "")]
                if vf[i] >= st.MERGER:
                    pool = np.concatenate([pool, pool_members[("HUYEN", "")]])
                n = n_xa
            elif t == "DISTRICT_PEOPLE_COMMITTEE":
                pool, n = pool_members[("HUYEN", "")], n_other
            elif t == "PROVINCIAL_DEPARTMENT":
                pool, n = pool_members[("TINH", int(dept[i]))], n_other
            elif t == "PROVINCE":
                pool, n = tinh_all, n_other
            else:
                pool, n = pool_members[("BO", ministry[i])], n_other
            lists[i] = ru.permutation(pool)[: min(n, len(pool))]
        self.unit_n = np.array([len(x) for x in lists], dtype=np.int64)
        self.unit_off = np.concatenate([[0], np.cumsum(self.unit_n)]).astype(np.int64)
        self.unit_proc = np.concatenate(lists).astype(np.int64)
        self.unit_of_row = np.repeat(np.arange(n_units), self.unit_n)
        m = len(self.unit_proc)
        # fixed uniform draws per (unit, procedure) that, against the unit's quality, set its attributes
        self.u_level = ru.random(m)
        self.u_pay = ru.random(m)
        self.u_full = ru.random(m)
        self.u_status = ru.random(m)
        self.pool_members = pool_members
        self.tinh_all = tinh_all
        self.records = self.table.to_dict("records")

    def levels(self, q_units: np.ndarray) -> np.ndarray:
        """MucDoDVC index (0 info, 1 partial, 2 full) of every (unit, procedure) row given unit qualities."""
        q = q_units[self.unit_of_row]
        p_full = 0.12 + 0.6 * q
        p_any = 0.42 + 0.55 * q
        return np.where(self.u_level < p_full, 2, np.where(self.u_level < p_any, 1, 0)).astype(np.int8)

    def issuer_pool(self, unit_type: str, ministry: str | None) -> np.ndarray:
        if unit_type == "MINISTRY":
            return self.pool_members[("BO", ministry)]
        return np.concatenate([self.pool_members[("XA", "")], self.pool_members[("HUYEN", "")], self.tinh_all])


# ------------------------------------------------------------------------------------------------------------
# feeds


class _Part:
    """A contiguous block of a feed (one chunk of units): its rows can be regenerated on demand."""

    def __init__(self, loader, frame: dict):
        self.loader = loader
        self.n = len(frame["_defect"])
        self.n_served = self.n + int((frame["_defect"] == 1).sum())
        self._frame = frame

    def frame(self) -> dict:
        if self._frame is None:
            self._frame = self.loader()
        return self._frame

    def release(self) -> None:
        self._frame = None


class Feed:
    """One dataset for one period, as served at `as_of`.

    `renderer` builds the rows of a part as dicts and is the definition of what is served; `json_renderer`, where
    a feed has one (dossiers), renders the same rows straight to JSON text, column-wise, for speed.
    """

    def __init__(self, dataset: str, period: str, generated_at: str, parts: list[_Part], renderer, keep: bool,
                 json_renderer=None):
        self.dataset = dataset
        self.period = period
        self.generated_at = generated_at
        self._parts = parts
        self._render = renderer
        self._render_json = json_renderer
        self.total = int(sum(p.n for p in parts))
        self._served = np.cumsum([0] + [p.n_served for p in parts])
        self._keep = keep
        if not keep:
            for p in parts:
                p.release()

    def __len__(self) -> int:
        return int(self._served[-1])

    def _served_index(self, part: _Part) -> np.ndarray:
        f = part.frame()
        if "_served" not in f:
            f["_served"] = np.repeat(np.arange(part.n), 1 + (f["_defect"] == 1)).astype(np.int64)
        return f["_served"]

    def _slices(self, start: int, stop: int) -> Iterator[tuple[dict, np.ndarray]]:
        """(frame, index into it) of each part that served rows [start, stop) touch, in order.

        A feed that does not keep its parts releases each one once paging has passed it, so memory holds one
        part (a chunk of units) at a time whatever the scale.
        """
        n = len(self)
        start, stop = max(0, start), min(n, stop)
        if start >= stop:
            return
        k = int(np.searchsorted(self._served, start, side="right")) - 1
        while start < stop and k < len(self._parts):
            part = self._parts[k]
            lo = start - self._served[k]
            hi = min(stop, self._served[k + 1]) - self._served[k]
            if hi > lo:
                yield part.frame(), self._served_index(part)[lo:hi]
                start += hi - lo
            if not self._keep and start >= self._served[k + 1]:
                part.release()
            k += 1

    def rows(self, start: int, stop: int) -> list[dict]:
        """Served rows [start, stop) as JSON-ready dicts (duplicates included, right after their original)."""
        if self._render_json is not None:
            text = self.rows_json(start, stop)
            with gc_paused():
                return orjson.loads(text)
        return self._reference_rows(start, stop)

    def _reference_rows(self, start: int, stop: int) -> list[dict]:
        """`rows` as the per-row renderer builds them: the definition the JSON renderer must match."""
        out: list[dict] = []
        for frame, idx in self._slices(start, stop):
            rendered = self._render(frame, idx)
            for row in rendered:
                row.pop("_defect_field", None)
            out.extend(rendered)
        return out

    def rows_json(self, start: int, stop: int) -> bytes:
        """Served rows [start, stop) as the UTF-8 JSON array that a feed page carries in `data`."""
        return b"".join(self.rows_json_chunks(start, stop))

    def rows_json_chunks(self, start: int, stop: int) -> list[bytes | memoryview]:
        """`rows_json` in consecutive chunks, so that a server can join them into its response in one copy."""
        if self._render_json is None:
            rows = self._reference_rows(start, stop)
            return [json.dumps(rows, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")]
        from orchestration.portal.simulator.dossier_json import json_array_chunks

        chunks = [chunk for frame, idx in self._slices(start, stop) for chunk in self._render_json(frame, idx)]
        return json_array_chunks(chunks)

    def defects(self) -> pd.DataFrame:
        """Ground truth of the injected defects: record_key ('|'-joined key fields as served), defect, field."""
        keys, kinds, fields = [], [], []
        kf = KEY_FIELDS[self.dataset]
        for part in self._parts:
            f = part.frame()
            idx = np.flatnonzero(f["_defect"] > 0)
            if len(idx):
                for row, d in zip(self._render(f, idx), f["_defect"][idx].tolist(), strict=True):
                    keys.append("|".join(str(row[k]) for k in kf))
                    kinds.append(_DK_NAME[d])
                    fields.append(row.get("_defect_field"))
            if not self._keep:
                part.release()
        return pd.DataFrame({"record_key": pd.Series(keys, dtype=object), "defect": pd.Series(kinds, dtype=object),
                             "field": pd.Series(fields, dtype=object)})


# ------------------------------------------------------------------------------------------------------------


class PortalData:
    def __init__(self, config: SimulatorConfig = SimulatorConfig()):  # noqa: B008
        if config.scale not in SCALES:
            raise ValueError(f"unknown scale {config.scale!r}; expected one of {sorted(SCALES)}")
        if not 0 <= config.defect_rate < 0.5:
            raise ValueError("defect_rate must be in [0, 0.5)")
        self.config = config
        self.seed = config.seed
        self.first_period = _parse_period(config.first_period)
        self._feeds: OrderedDict = OrderedDict()
        self._cohorts: OrderedDict = OrderedDict()
        self._counts: OrderedDict = OrderedDict()

    # ---- structure -------------------------------------------------------------------------------------------
    @cached_property
    def units(self) -> pd.DataFrame:
        return st.build_structure(self.seed)

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.seed, self.units, self.config.scale)

    @cached_property
    def _unit_records(self) -> list[dict]:
        return self.units.to_dict("records")

    @cached_property
    def _codes(self) -> np.ndarray:
        return self.units["code"].to_numpy(dtype=object)

    @cached_property
    def _dossier_json(self):
        from orchestration.portal.simulator.dossier_json import DossierJson  # it builds on this module

        return DossierJson(self)

    @cached_property
    def _chunks(self) -> list[np.ndarray]:
        """Units split into contiguous (code-ordered) chunks of roughly equal dossier volume."""
        w = self.units["weight"].to_numpy()
        per_month = SCALES[self.config.scale] * 2  # both regimes' weights sum to ~1 each
        n = max(1, math.ceil(per_month / CHUNK_DOSSIERS))
        cuts = np.searchsorted(np.cumsum(w) / w.sum(), np.linspace(0, 1, n + 1)[1:-1])
        return [c for c in np.split(np.arange(len(w)), cuts) if len(c)]

    @cached_property
    def _addr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For every unit: the display names used in addresses and each root's communes."""
        u = self.units
        disp = np.array([n[5:6].upper() + n[6:] if n.startswith("UBND ") else n for n in u["name"]], dtype=object)
        root_idx = pd.Index(u["code"]).get_indexer(u["root"])
        communes = np.flatnonzero((u["type"] == "COMMUNE_PEOPLE_COMMITTEE").to_numpy())
        order = communes[np.argsort(root_idx[communes], kind="stable")]
        return disp, root_idx, order

    @cached_property
    def _gso_num(self) -> np.ndarray:
        """For every unit: its statistics-office code as a number (1 where it has none), for ID numbers."""
        return np.array([int(g) if isinstance(g, str) else 1 for g in self.units["gso"]], dtype=np.int64)

    @cached_property
    def _root_disp(self) -> list[str]:
        """For every unit: the display name of its root (province or ministry), as addresses end."""
        disp, root_idx, _ = self._addr
        return [disp[i] for i in root_idx]

    def structure(self) -> pd.DataFrame:
        """All units with validity, parent, successor, type, latent quality, trend and volume weight."""
        u = self.units
        return pd.DataFrame({
            "MaDinhDanh": u["code"], "TenDonVi": u["name"], "LoaiDonVi": u["type"], "MaDinhDanhCha": u["parent"],
            "MaHanhChinh": u["mhc"], "HieuLucTu": u["valid_from"], "HieuLucDen": u["valid_to"],
            "DonViKeThua": u["successor"], "CungCapChungThucDienTu": u["cert"], "IdDanhGia": u["id_danh_gia"],
            "root": u["root"], "level": u["level"], "quality": u["q_anchor"], "quality_anchor_month":
            u["anchor_month"], "trend_per_month": u["slope"], "volume_weight": u["weight"]})

    # ---- public entry point -----------------------------------------------------------------------------------
    def feed(self, dataset: str, period: str, as_of: datetime | None = None) -> Feed:
        if dataset not in DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
        y, m = _parse_period(period)
        if as_of is None:
            as_of = datetime.now(UTC)
        local = as_of.astimezone(VN_TZ) if as_of.tzinfo else as_of.replace(tzinfo=VN_TZ)
        if (y, m) < self.first_period or (y, m) > (local.year, local.month):
            raise ValueError(f"period {period} outside {self.config.first_period}..{local.year:04d}-{local.month:02d}")
        if (y, m) < (2022, 1) or (y, m) > (2027, 12):
            raise ValueError("the simulator covers 2022-01..2027-12")
        as_sec = int((np.datetime64(local.replace(tzinfo=None), "s").astype(np.int64)) // 60 * 60)
        _, last = _month_bounds(y, m)
        horizon = int(_sec(last)) + 86400 * (MAX_LIFETIME_DAYS + 70)
        eff = min(as_sec, horizon)
        key = (dataset, y, m, eff)
        if key in self._feeds:
            self._feeds.move_to_end(key)
            f = self._feeds[key]
        else:
            f = self._build(dataset, y, m, eff)
            self._feeds[key] = f
            while len(self._feeds) > 4:
                self._feeds.popitem(last=False)
        gen = local.strftime("%Y%m%dT%H%M%S+07:00")
        if f.generated_at != gen:
            f = _rebadge(f, gen)
        return f

    def _build(self, dataset: str, y: int, m: int, as_sec: int) -> Feed:
        builder = {"units": self._units_feed, "procedures": self._procedures_feed,
                   "publication-decisions": self._decisions_feed, "dossiers": self._dossiers_feed,
                   "petitions": self._petitions_feed, "ratings": self._ratings_feed,
                   "report-counts": self._report_feed}[dataset]
        parts, renderer = builder(y, m, as_sec)
        # a part without a loader (generated whole, not by chunk of units) cannot be regenerated: it is kept
        keep = sum(p.n for p in parts) <= KEEP_ROWS or any(p.loader is None for p in parts)
        json_renderer = self._dossier_json.render if dataset == "dossiers" else None
        return Feed(dataset, f"{y:04d}-{m:02d}", "", parts, renderer, keep, json_renderer)

    # ---- defects ------------------------------------------------------------------------------------------------
    def _draw_defects(self, r: np.random.Generator, n: int, dataset: str, eligible: dict[int, np.ndarray] | None = None):
        """Per record: defect code (0 none) and a field selector; fixed per record (drawn at generation)."""
        u = r.random(n)
        kind_u = r.random(n)
        fsel = r.integers(0, 1 << 30, n)
        kinds = DEFECT_KINDS[dataset]
        code = np.zeros(n, np.int8)
        hit = u < self.config.defect_rate
        k = np.minimum((kind_u * len(kinds)).astype(np.int64), len(kinds) - 1)
        for i, name in enumerate(kinds):
            sel = hit & (k == i)
            if eligible is not None and _DK[name] in eligible:
                # not applicable (e.g. no fee list): fall back to a duplicate
                ok = eligible[_DK[name]]
                code[sel & ok] = _DK[name]
                code[sel & ~ok] = _DK["duplicate_record"]
            else:
                code[sel] = _DK[name]
        return code, fsel

    # ---- quality ------------------------------------------------------------------------------------------------
    def _q(self, y: int, m: int) -> np.ndarray:
        return st.quality_at(self.units, y, m)

    # ---- daily dossier counts (all units) --------------------------------------------------------------------------
    def _daily_counts(self, y: int, m: int) -> tuple[np.ndarray, np.ndarray]:
        key = (y, m)
        if key in self._counts:
            return self._counts[key]
        first, last = _month_bounds(y, m)
        days = vncal.working_dates(first, last)
        u = self.units
        vf = u["valid_from"].to_numpy().astype("datetime64[D]")
        vt = u["valid_to"].to_numpy().astype("datetime64[D]")
        active = (vf[:, None] <= days[None, :]) & (np.isnat(vt)[:, None] | (vt[:, None] >= days[None, :]))
        w = u["weight"].to_numpy()
        mid = first + 14
        in_mid = (vf <= mid) & (np.isnat(vt) | (vt >= mid))
        lam = SCALES[self.config.scale] * w / w[in_mid].sum() / 21.5
        r = st.rng(self.seed, "dossier-counts", y, m)
        counts = r.poisson(np.where(active, lam[:, None], 0.0)).astype(np.int32)
        counts = np.minimum(counts, 9999)
        self._counts[key] = (days, counts)
        while len(self._counts) > 24:
            self._counts.popitem(last=False)
        return days, counts

    def _cohort(self, kind: str, y: int, m: int, chunk: int) -> dict:
        key = (kind, y, m, chunk)
        if key in self._cohorts:
            self._cohorts.move_to_end(key)
            return self._cohorts[key]
        c = self._gen_dossiers(y, m, chunk) if kind == "dossiers" else self._gen_petitions(y, m, chunk)
        self._cohorts[key] = c
        limit = 12 if self.config.scale in ("tiny", "small") else 6
        while len(self._cohorts) > limit:
            self._cohorts.popitem(last=False)
        return c

    # ---- dossier cohort -----------------------------------------------------------------------------------------
    def _gen_dossiers(self, y: int, m: int, chunk: int) -> dict:
        units = self.units
        cat = self.catalogue
        days, counts = self._daily_counts(y, m)
        cu = self._chunks[chunk]
        sub = counts[cu]
        n_ud = sub.ravel()
        n = int(n_ud.sum())
        r = st.rng(self.seed, "dossiers", y, m, chunk)
        uid = np.repeat(np.repeat(cu, len(days)), n_ud)
        day = np.repeat(np.tile(days, len(cu)), n_ud)
        grp_start = np.repeat(np.cumsum(n_ud) - n_ud, n_ud)
        seq = (np.arange(n) - grp_start + 1).astype(np.int32)
        q = self._q(y, m)[uid]
        levels_all = cat.levels(self._q(y, m))
        utype = units["type"].to_numpy(dtype=object)[uid]

        # procedure (popularity-ranked within the unit) and its attributes
        nproc = cat.unit_n[uid]
        rank = np.minimum((nproc * r.random(n) ** 1.6).astype(np.int64), np.maximum(nproc - 1, 0))
        row = cat.unit_off[uid] + rank
        proc = cat.unit_proc[row]
        level = levels_all[row]
        T = cat.t[proc]
        fee = cat.fee[proc]
        paper = cat.paper[proc]

        # channel
        p_online = np.select([level == 2, level == 1], [0.18 + 0.72 * q, 0.08 + 0.45 * q], 0.0)
        ru = r.random(n)
        channel = np.where(ru < p_online, 2, np.where(ru > 0.97, 3, 1)).astype(np.int8)
        online = channel == 2
        # applicant
        is_commune = utype == "COMMUNE_PEOPLE_COMMITTEE"
        big = np.isin(utype, ["PROVINCIAL_DEPARTMENT", "MINISTRY_UNIT", "MINISTRY", "PROVINCE"])
        lu = r.random(n)
        loai = np.where(is_commune, np.searchsorted([0.93, 0.97, 0.98], lu, side="right"),
                        np.where(big, np.searchsorted([0.55, 0.93, 0.96], lu, side="right"),
                                 np.searchsorted([0.8, 0.94, 0.96], lu, side="right"))).astype(np.int8) + 1
        citizen = loai == 1

        # times
        recv_tod = _working_tod(r, n)
        recv = _sec(day) + recv_tod
        sub_t = np.where(online, recv - r.integers(600, 3 * 86400, n), recv - r.integers(60, 1200, n))
        has_due = r.random(n) >= 0.05
        due = np.where(has_due, _sec(vncal.add_working_days(day, T)) + 17 * 3600, NA)

        # outcome class: 0 normal, 1 refused, 2 withdrawn, 3 stopped, 4 one open supplement, 5 two open supplements
        oc = _choice_idx(r, [0.957, 0.015, 0.012, 0.004, 0.009, 0.003], n)
        p_late = 0.01 + 0.30 * (1 - q) ** 2
        p_early = 0.15 + 0.6 * q
        tu = r.random(n)
        timing = np.where(tu < p_late, 2, np.where(tu < p_late + p_early, 0, 1))  # 0 early, 1 on due day, 2 late
        k = np.select([timing == 0, timing == 1],
                      [(r.random(n) * T).astype(np.int64), T], T + 1 + np.minimum(r.geometric(0.25, n), 20))
        # supplements: 1 or 2 completed ones on normal dossiers; open ones for classes 4 and 5
        su = r.random(n)
        nsupp = np.where(oc == 0, np.where(su < 0.015, 2, np.where(su < 0.085, 1, 0)), 0)
        nsupp = np.where(oc == 4, 1, np.where(oc == 5, 2, nsupp))
        sd1 = r.integers(1, 9, n)
        sd2 = r.integers(1, 9, n)
        a1 = (r.random(n) * (k + 1)).astype(np.int64)
        a2 = a1 + sd1 + (r.random(n) * (np.maximum(k - a1, 0) + 1)).astype(np.int64)
        pause = np.where(nsupp >= 1, sd1, 0) + np.where(nsupp >= 2, sd2, 0)
        end_wd = k + pause

        def at(offset_wd, tod=None):
            d = vncal.add_working_days(day, offset_wd)
            t = _working_tod(r, n) if tod is None else tod
            return _sec(d) + t

        slots = np.full((n, 10), NA, dtype=np.int64)
        slots[:, S_SUB] = sub_t
        slots[:, S_RECV] = recv
        slots[:, S_PROC] = recv + r.integers(300, 7200, n)
        s1 = at(a1)
        s2 = at(a2)
        slots[:, S_S1] = np.where(nsupp >= 1, s1, NA)
        slots[:, S_S1D] = np.where((nsupp >= 1) & (oc == 0), at(a1 + sd1), NA)
        slots[:, S_S2] = np.where(nsupp >= 2, s2, NA)
        slots[:, S_S2D] = np.where((nsupp >= 2) & (oc == 0), at(a2 + sd2), NA)
        same_day = end_wd == 0
        end_tod = np.where(same_day, recv_tod + (r.random(n) * (17 * 3600 - recv_tod)).astype(np.int64),
                           _working_tod(r, n))
        end_t = at(end_wd, end_tod)
        # refused / withdrawn / stopped happen part-way
        part = at((r.random(n) * (k + 1)).astype(np.int64))
        term_status = np.select([oc == 0, oc == 1, oc == 2, oc == 3], [9, 3, 7, 8], 0).astype(np.int8)
        slots[:, S_TERM] = np.select([oc == 0, (oc >= 1) & (oc <= 3)], [end_t, part], NA)
        has_fin = (oc == 0) & fee & (r.random(n) < 0.3)
        prev = slots[:, S_PROC:S_S2D + 1].max(axis=1)
        slots[:, S_FIN] = np.where(has_fin, prev + ((end_t - prev) * r.uniform(0.3, 0.9, n)).astype(np.int64), NA)
        returned = (oc == 0) & (r.random(n) < 0.9)
        slots[:, S_RET] = np.where(returned, at(end_wd + r.integers(0, 4, n)), NA)
        _monotone(slots)
        last_event = slots.max(axis=1)
        cap = recv + MAX_LIFETIME_DAYS * 86400
        assert (last_event <= cap).all(), "dossier lifetime exceeds MAX_LIFETIME_DAYS"

        # documents, results, fees, data connections
        ncomp = cat.ncomp[proc]
        comp = np.zeros((n, 4, 3), dtype=np.uint8)
        p_sh = np.where(online, 0.62 + 0.37 * q, 0.45 + 0.5 * q)
        comp[:, :, 0] = r.random((n, 4)) < p_sh[:, None]
        comp[:, :, 1] = r.random((n, 4)) < (0.08 + 0.5 * q)[:, None]
        comp[:, :, 2] = r.random((n, 4)) < (0.2 * q * online)[:, None]
        eresult = r.random(n) < (0.3 + 0.68 * q)
        fee_zero = r.random(n) < 0.12
        fee_amt = np.where(fee, np.where(fee_zero, 0, cat.fee_amount[proc]), -1)
        fee2 = np.where(fee & (r.random(n) < 0.3), np.where(fee_zero, 0, r.choice([5, 10, 20, 50], n) * 1000), -1)
        p_pay = np.where(online, 0.25 + 0.72 * q, 0.03 + 0.35 * q)
        paid = fee & ~fee_zero & (r.random(n) < p_pay)
        pay = np.where(paid, np.where(r.random(n) < 0.45, 1, 2), 0).astype(np.int8)
        vneid = (citizen & (r.random(n) < np.where(online, 0.3 + 0.65 * q, 0.05 + 0.25 * q))).astype(np.int8)
        csdl = ((citizen & (r.random(n) < 0.15 + 0.75 * q)).astype(np.int8)
                | ((loai == 2) & (r.random(n) < 0.5)).astype(np.int8) * 2)
        sync = (r.random(n) < 0.8 + 0.19 * q).astype(np.int8)

        # applicant personal data
        female = r.random(n) < 0.5
        surname = _choice_idx(r, SURNAME_P, n)
        middle = r.integers(0, 12, n).astype(np.int8)
        given = r.integers(0, 30, n).astype(np.int8)
        org = r.integers(0, 1 << 20, n)
        gso_num = self._gso_num[uid]
        birth_year = r.integers(1950, 2006, n)
        century = np.where(birth_year >= 2000, 2, 0) + female
        idnum = ((gso_num * 10 + century) * 100 + birth_year % 100) * 1_000_000 + r.integers(0, 1_000_000, n)
        phone = r.choice([3, 5, 7, 8, 9], n) * 100_000_000 + r.integers(0, 100_000_000, n)
        disp, root_idx, communes_by_root = self._addr
        roots = root_idx[uid]
        rc = root_idx[communes_by_root]
        lo = np.searchsorted(rc, roots, side="left")
        hi = np.searchsorted(rc, roots, side="right")
        has_c = hi > lo
        pick = lo + (r.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
        addr_c = np.where(is_commune & (r.random(n) < 0.9), uid,
                          np.where(has_c, communes_by_root[np.minimum(pick, len(communes_by_root) - 1)], -1))
        house = r.integers(1, 300, n)
        street = r.integers(0, len(STREETS), n)

        # late sync and defects
        _, mlast = _month_bounds(y, m)
        late = r.random(n) < LATE_SYNC_SHARE
        sync_at = np.where(late, _sec(mlast + 1) + r.integers(10 * 86400, 60 * 86400, n), NA)
        elig = {_DK["negative_fee"]: (fee_amt >= 0)}
        defect, dsel = self._draw_defects(r, n, "dossiers", elig)

        # ratings of this cohort (on dossiers that ended with a processed result)
        rr = st.rng(self.seed, "ratings", y, m, chunk)
        ended = slots[:, S_TERM] >= 0
        rated = (oc == 0) & ended & (rr.random(n) < np.where(online, 0.4, 0.18))
        twice = rated & (rr.random(n) < 0.04)
        base = np.where(slots[:, S_RET] >= 0, slots[:, S_RET], slots[:, S_TERM])
        r_idx = np.concatenate([np.flatnonzero(rated), np.flatnonzero(twice)])
        r_time = base[r_idx] + rr.integers(600, 6 * 86400, len(r_idx))
        r_time[len(np.flatnonzero(rated)):] += rr.integers(86400, 10 * 86400, len(r_idx) - rated.sum())
        rq = q[r_idx]
        late_d = (timing[r_idx] == 2)
        p_dis = 0.01 + 0.10 * (1 - rq) + 0.25 * late_d
        dis = rr.random(len(r_idx)) < p_dis
        sat = _choice_idx(rr, [55, 35, 10], len(r_idx))
        dsat = _choice_idx(rr, [70, 30], len(r_idx)) + 3
        r_res = np.where(dis, dsat, sat).astype(np.int8)
        r_late = rr.random(len(r_idx)) < LATE_SYNC_SHARE
        rm = (r_time // 86400).astype("datetime64[D]").astype("datetime64[M]")
        r_sync = np.where(r_late, _sec((rm + 1).astype("datetime64[D]")) + rr.integers(10 * 86400, 60 * 86400,
                                                                                      len(r_idx)), NA)
        r_def, r_dsel = self._draw_defects(rr, len(r_idx), "ratings")
        o = np.lexsort((r_time, r_idx))
        ratings = dict(d=r_idx[o], t=r_time[o], res=r_res[o], sync_at=r_sync[o], _defect=r_def[o], dsel=r_dsel[o])

        return dict(uid=uid.astype(np.int32), day=day, seq=seq, proc=proc.astype(np.int32), T=T.astype(np.int16),
                    channel=channel, loai=loai, slots=slots, term=term_status, due=due, ncomp=ncomp.astype(np.int8),
                    comp=comp, eresult=eresult, paper=paper, fee=fee_amt, fee2=fee2, pay=pay, vneid=vneid,
                    csdl=csdl, sync=sync, female=female, surname=surname, middle=middle, given=given, org=org,
                    idnum=idnum, phone=phone, addr_c=addr_c.astype(np.int32), house=house.astype(np.int16),
                    street=street.astype(np.int8), sync_at=sync_at, last=last_event, _defect=defect, dsel=dsel,
                    ratings=ratings)

    # ---- petitions cohort -----------------------------------------------------------------------------------------
    def _gen_petitions(self, y: int, m: int, chunk: int) -> dict:
        units = self.units
        cat = self.catalogue
        first, last = _month_bounds(y, m)
        cu = self._chunks[chunk]
        r = st.rng(self.seed, "petitions", y, m, chunk)
        vf = units["valid_from"].to_numpy().astype("datetime64[D]")[cu]
        vt = units["valid_to"].to_numpy().astype("datetime64[D]")[cu]
        w = units["weight"].to_numpy()
        allvf = units["valid_from"].to_numpy().astype("datetime64[D]")
        allvt = units["valid_to"].to_numpy().astype("datetime64[D]")
        mid = first + 14
        in_mid = (allvf <= mid) & (np.isnat(allvt) | (allvt >= mid))
        lam = SCALES[self.config.scale] * 0.02 * w[cu] / w[in_mid].sum()
        alive = (vf <= last) & (np.isnat(vt) | (vt >= first))
        cnt = r.poisson(np.where(alive, lam, 0.0))
        n = int(cnt.sum())
        uid = np.repeat(cu, cnt)
        lo_d = np.maximum(vf, first)[np.repeat(np.arange(len(cu)), cnt)]
        hi_d = np.where(np.isnat(vt), last, np.minimum(vt, last))[np.repeat(np.arange(len(cu)), cnt)]
        span = (hi_d - lo_d).astype(np.int64) + 1
        gday = lo_d + (r.random(n) * span).astype(np.int64)
        gui = _sec(gday) + r.integers(6 * 3600, 23 * 3600, n)
        o = np.lexsort((gui, uid))
        uid, gday, gui = uid[o], gday[o], gui[o]
        # sequence per (unit, day)
        key = uid.astype(np.int64) * 100000 + gday.astype(np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
        seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
        q = self._q(y, m)[uid]

        def at(day, off):
            return _sec(vncal.add_working_days(day, off)) + _working_tod(r, n)

        recv = at(gday, r.integers(0, 2, n))
        in_scope = r.random(n) >= 0.05
        transferred = r.random(n) < 0.08
        chuyen = np.where(transferred, at(gday, r.integers(1, 4, n)), NA)
        base_day = np.where(transferred, (np.maximum(chuyen, 0) // 86400), gday.astype(np.int64)).astype(
            "datetime64[D]")
        refused = ~in_scope | (r.random(n) < 0.04)
        on_time = r.random(n) < 0.6 + 0.38 * q
        tuchoi = np.where(refused, at(base_day, np.where(on_time, r.integers(0, 3, n), r.integers(3, 7, n))), NA)
        xuly = np.where(~refused, at(base_day, np.where(on_time, r.integers(1, 16, n), r.integers(16, 31, n))), NA)
        published = ~refused & (r.random(n) < 0.85)
        pub_day = np.where(xuly >= 0, xuly // 86400, gday.astype(np.int64)).astype("datetime64[D]")
        congkhai = np.where(published, at(pub_day, np.where(on_time, r.integers(0, 3, n), r.integers(3, 7, n))), NA)
        slots = np.stack([gui, recv, chuyen, xuly, congkhai, tuchoi], axis=1)
        _monotone(slots)
        phan_loai = _choice_idx(r, [55, 10, 35], n)
        nproc = cat.unit_n[uid]
        rank = np.minimum((nproc * r.random(n)).astype(np.int64), np.maximum(nproc - 1, 0))
        proc = np.where((phan_loai == 0) & (nproc > 0), cat.unit_proc[cat.unit_off[uid] + rank], -1)
        likes = np.where(published, r.poisson(3, n), 0)
        dislikes = np.where(published, r.poisson(0.5 + 4 * (1 - q) ** 2, n), 0)
        react = published & (r.random(n) < 0.7)
        hailong = np.where(react, (r.random(n) < 0.45 + 0.5 * q).astype(np.int8), -1).astype(np.int8)
        same_prev = np.r_[False, uid[1:] == uid[:-1]]
        repeat = same_prev & (r.random(n) < 0.06)
        orig = np.where(repeat, np.arange(n) - 1, -1)
        late = r.random(n) < LATE_SYNC_SHARE
        sync_at = np.where(late, _sec(last + 1) + r.integers(10 * 86400, 60 * 86400, n), NA)
        defect, dsel = self._draw_defects(r, n, "petitions", {_DK["unknown_procedure"]: proc >= 0})
        return dict(uid=uid.astype(np.int32), day=gday, seq=seq.astype(np.int32), slots=slots,
                    in_scope=in_scope.astype(np.int8), phan_loai=phan_loai, proc=proc.astype(np.int32),
                    likes=likes, dislikes=dislikes, hailong=hailong, orig=orig, sync_at=sync_at,
                    last=slots.max(axis=1), _defect=defect, dsel=dsel)

    # ---- active selection across cohorts -------------------------------------------------------------------------
    def _cohort_months(self, y: int, m: int) -> list[tuple[int, int]]:
        out = []
        for k in range(LOOKBACK, -1, -1):
            yy, mm = _shift(y, m, -k)
            if (yy, mm) >= (2022, 1):
                out.append((yy, mm))
        return out

    def _dossiers_feed(self, y: int, m: int, as_sec: int):
        first, last = _month_bounds(y, m)
        start_s, end_s = int(_sec(first)), int(_sec(last)) + 86399
        months = self._cohort_months(y, m)

        def load(chunk: int) -> dict:
            pieces = []
            for yy, mm in months:
                c = self._cohort("dossiers", yy, mm, chunk)
                recv = c["slots"][:, S_RECV]
                sel = (recv <= min(end_s, as_sec)) & (c["last"] >= start_s)
                sel &= (c["sync_at"] < 0) | (c["sync_at"] <= as_sec)
                idx = np.flatnonzero(sel)
                pieces.append({k: v[idx] for k, v in c.items() if k != "ratings"})
            f = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
            o = np.lexsort((f["seq"], f["day"], f["uid"]))
            f = {k: v[o] for k, v in f.items()}
            slots = f["slots"]
            f["slots"] = np.where(slots <= as_sec, slots, NA)
            f["as_of"] = as_sec
            return f

        parts = [_Part(lambda c=c: load(c), load(c)) for c in range(len(self._chunks))]
        return parts, self._render_dossiers

    def _ratings_feed(self, y: int, m: int, as_sec: int):
        first, last = _month_bounds(y, m)
        start_s, end_s = int(_sec(first)), int(_sec(last)) + 86399
        months = self._cohort_months(y, m)

        def load(chunk: int) -> dict:
            pieces = []
            for yy, mm in months:
                c = self._cohort("dossiers", yy, mm, chunk)
                rt = c["ratings"]
                sel = (rt["t"] >= start_s) & (rt["t"] <= min(end_s, as_sec))
                sel &= (rt["sync_at"] < 0) | (rt["sync_at"] <= as_sec)
                sel &= (c["sync_at"][rt["d"]] < 0) | (c["sync_at"][rt["d"]] <= as_sec)
                idx = np.flatnonzero(sel)
                d = rt["d"][idx]
                pieces.append(dict(uid=c["uid"][d], day=c["day"][d], seq=c["seq"][d], t=rt["t"][idx],
                                   res=rt["res"][idx], _defect=rt["_defect"][idx], dsel=rt["dsel"][idx]))
            f = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
            o = np.lexsort((f["t"], f["seq"], f["day"], f["uid"]))
            return {k: v[o] for k, v in f.items()}

        parts = [_Part(lambda c=c: load(c), load(c)) for c in range(len(self._chunks))]
        return parts, self._render_ratings

    def _petitions_feed(self, y: int, m: int, as_sec: int):
        first, last = _month_bounds(y, m)
        start_s, end_s = int(_sec(first)), int(_sec(last)) + 86399
        months = self._cohort_months(y, m)

        def load(chunk: int) -> dict:
            pieces = []
            for yy, mm in months:
                c = self._cohort("petitions", yy, mm, chunk)
                g = c["slots"][:, 0]
                sel = (g <= min(end_s, as_sec)) & (c["last"] >= start_s)
                sel &= (c["sync_at"] < 0) | (c["sync_at"] <= as_sec)
                idx = np.flatnonzero(sel)
                p = {k: v[idx] for k, v in c.items() if k != "orig"}
                # the repeated petition's key (it is in the same cohort)
                oi = c["orig"][idx]
                p["orig_uid"] = np.where(oi >= 0, c["uid"][np.maximum(oi, 0)], -1)
                p["orig_day"] = np.where(oi >= 0, c["day"][np.maximum(oi, 0)], np.datetime64("1970-01-01"))
                p["orig_seq"] = np.where(oi >= 0, c["seq"][np.maximum(oi, 0)], 0)
                pieces.append(p)
            f = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
            o = np.lexsort((f["seq"], f["day"], f["uid"]))
            f = {k: v[o] for k, v in f.items()}
            f["slots"] = np.where(f["slots"] <= as_sec, f["slots"], NA)
            return f

        parts = [_Part(lambda c=c: load(c), load(c)) for c in range(len(self._chunks))]
        return parts, self._render_petitions

    # ---- units, procedures, decisions, report counts ----------------------------------------------------------
    def _units_feed(self, y: int, m: int, as_sec: int):
        first, last = _month_bounds(y, m)
        cutoff = min(last, (np.int64(as_sec) // 86400).astype("datetime64[D]"))
        u = self.units
        idx = np.flatnonzero(st.in_force(u, first, cutoff))
        r = st.rng(self.seed, "units-defects", y, m)
        allc, alls = self._draw_defects(r, len(u), "units")
        f = dict(uid=idx, _defect=allc[idx], dsel=alls[idx], cutoff=cutoff)
        return [_Part(None, f)], self._render_units

    def _procedures_feed(self, y: int, m: int, as_sec: int):
        first, last = _month_bounds(y, m)
        cutoff = min(last, (np.int64(as_sec) // 86400).astype("datetime64[D]"))
        u = self.units
        cat = self.catalogue
        alive = st.in_force(u, cutoff, cutoff)
        rows = np.flatnonzero(alive[cat.unit_of_row])
        uid = cat.unit_of_row[rows]
        proc = cat.unit_proc[rows]
        o = np.lexsort((uid, cat.code_rank[proc]))
        rows, uid, proc = rows[o], uid[o], proc[o]
        q = self._q(int(str(cutoff)[:4]), int(str(cutoff)[5:7]))
        level = cat.levels(q)[rows]
        qu = q[uid]
        pay = (cat.u_pay[rows] < 0.35 + 0.6 * qu) & cat.fee[proc]
        full = cat.u_full[rows] < 0.7 + 0.29 * qu
        su = cat.u_status[rows]
        status = np.where(su < 0.02, 3, np.where(su < 0.02 + 0.08 * (1 - qu), 2,
                                                 np.where(su > 0.85, 1, 0))).astype(np.int8)
        r = st.rng(self.seed, "procedures-defects", y, m)
        defect, dsel = self._draw_defects(r, len(rows), "procedures")
        f = dict(uid=uid, proc=proc, level=level, pay=pay, full=full, status=status, _defect=defect, dsel=dsel,
                 merged=cutoff >= st.MERGER)
        return [_Part(None, f)], self._render_procedures

    def _decisions_feed(self, y: int, m: int, as_sec: int):
        first, last = _month_bounds(y, m)
        u = self.units
        cat = self.catalogue
        r = st.rng(self.seed, "publication-decisions", y, m)
        issuers = np.flatnonzero(u["type"].isin(["PROVINCE", "MINISTRY"]).to_numpy() & st.in_force(u, first, last))
        q = self._q(y, m)
        wdays = vncal.working_dates(first, last)
        cnt = r.poisson(1.2, len(issuers))
        iss = np.repeat(issuers, cnt)
        n = len(iss)
        dday = wdays[r.integers(0, len(wdays), n)]
        dday = np.maximum(dday, u["valid_from"].to_numpy().astype("datetime64[D]")[iss])
        seqs = np.concatenate([np.arange(1, c + 1) for c in cnt]) if n else np.zeros(0, np.int64)
        loai = _choice_idx(r, [35, 50, 15], n)
        late_s = r.random(n) < LATE_SYNC_SHARE
        sync_at = np.where(late_s, _sec(last + 1) + r.integers(10 * 86400, 60 * 86400, n), NA)
        items = []
        utype = u["type"].to_numpy(dtype=object)
        mins = u["ministry"].to_numpy(dtype=object)
        for i in range(n):
            ui = iss[i]
            pool = cat.issuer_pool(utype[ui], mins[ui])
            k = 1 + min(int(r.poisson(4)), 14)
            procs = r.choice(pool, size=min(k, len(pool)), replace=False)
            is_min = utype[ui] == "MINISTRY"
            th, lim = (20, 10) if is_min else (5, 5)
            qi = q[ui]
            ontime = r.random(len(procs)) < 0.35 + 0.63 * qi
            eff_off = np.where(ontime, th + r.integers(0, 25, len(procs)), r.integers(-10, th, len(procs)))
            eff = vncal.add_working_days(np.full(len(procs), dday[i]), eff_off)
            pub_on = r.random(len(procs)) < 0.45 + 0.53 * qi
            pub_off = np.where(pub_on, r.integers(0, lim + 1, len(procs)), r.integers(lim + 1, lim + 26, len(procs)))
            never = r.random(len(procs)) < 0.05
            pub = np.where(never, NA, _sec(vncal.add_working_days(np.full(len(procs), dday[i]), pub_off))
                           + _working_tod(r, len(procs)))
            items.append((procs, eff, pub))
        defect, dsel = self._draw_defects(r, n, "publication-decisions")
        vis = (_sec(dday) <= as_sec) & ((sync_at < 0) | (sync_at <= as_sec))
        abbr = np.array([("B" + mins[i]) if utype[i] == "MINISTRY" else "UBND-" + self._codes[i][-3:] for i in iss],
                        dtype=object)
        so = np.array([f"{m * 100 + s}/{y}/QĐ-{a}" for s, a in zip(seqs, abbr, strict=True)], dtype=object)
        idx = np.flatnonzero(vis)
        idx = idx[np.argsort(so[idx].astype(str), kind="stable")]
        f = dict(so=so[idx], iss=iss[idx], day=dday[idx], loai=loai[idx], items=[items[i] for i in idx],
                 _defect=defect[idx], dsel=dsel[idx], as_of=as_sec)
        return [_Part(None, f)], self._render_decisions

    def _report_feed(self, y: int, m: int, as_sec: int):
        u = self.units
        frames = []
        for k in range(12, -1, -1):
            yy, mm = _shift(y, m, -k)
            if (yy, mm) < (2022, 1):
                continue
            first, last = _month_bounds(yy, mm)
            if int(_sec(first)) > as_sec:
                continue
            days, counts = self._daily_counts(yy, mm)
            upto = _sec(days) <= as_sec
            true = counts[:, upto].sum(axis=1)
            alive = np.flatnonzero(st.in_force(u, first, last))
            r = st.rng(self.seed, "report-counts", yy, mm)
            nu = r.random(len(u))
            factor = np.where(nu < 0.03, 0.0, np.where(nu < 0.09, r.uniform(1.02, 1.3, len(u)),
                                                       np.where(nu < 0.12, r.uniform(0.85, 0.99, len(u)), 1.0)))
            reported = np.round(true * factor).astype(np.int64)
            frames.append(pd.DataFrame({"uid": alive, "ky": f"{yy:04d}-{mm:02d}", "n": reported[alive]}))
        df = pd.concat(frames, ignore_index=True).sort_values(["uid", "ky"], kind="stable")
        r = st.rng(self.seed, "report-defects", y, m)
        defect, dsel = self._draw_defects(r, len(df), "report-counts")
        f = dict(uid=df["uid"].to_numpy(), ky=df["ky"].to_numpy(dtype=object), n=df["n"].to_numpy(),
                 _defect=defect, dsel=dsel)
        return [_Part(None, f)], self._render_report

    # ---- rendering -------------------------------------------------------------------------------------------
    def _bad_date(self, value: str | None, sel: int) -> str:
        if not value:
            value = "20250714083000"
        if sel % 2:
            return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
        return f"{value[:4]}1345990000"

    def _unknown_code(self, sel: int) -> str:
        return f"9.{sel % 1_000_000:06d}"

    def _render_units(self, f: dict, idx: np.ndarray) -> list[dict]:
        u = self.units
        ui = f["uid"][idx]
        cutoff = f["cutoff"]
        vt = u["valid_to"].to_numpy().astype("datetime64[D]")[ui]
        ended = ~np.isnat(vt) & (vt <= cutoff)
        vf_s = _fmt(_sec(u["valid_from"].to_numpy().astype("datetime64[D]")[ui]), date_only=True)
        vt_s = _fmt(np.where(ended, _sec(np.where(ended, vt, np.datetime64("1970-01-01"))), NA), date_only=True)
        out = []
        recs = self._unit_records
        for j, i in enumerate(ui.tolist()):
            rec = recs[i]
            cert = rec["cert"]
            out.append({
                "MaDinhDanh": rec["code"], "TenDonVi": rec["name"], "LoaiDonVi": rec["type"],
                "MaDinhDanhCha": _none(rec["parent"]), "MaHanhChinh": _none(rec["mhc"]),
                "HieuLucTu": vf_s[j], "HieuLucDen": vt_s[j],
                "DonViKeThua": _none(rec["successor"]) if ended[j] else None,
                "CungCapChungThucDienTu": None if pd.isna(cert) else int(cert),
                "IdDanhGia": _none(rec["id_danh_gia"])})
        return out

    def _render_procedures(self, f: dict, idx: np.ndarray) -> list[dict]:
        cat = self.catalogue
        recs = cat.records
        u = self.units
        out = []
        roots = u["root"].to_numpy(dtype=object)
        for i in idx.tolist():
            p = int(f["proc"][i])
            ui = int(f["uid"][i])
            rec = recs[p]
            cap = list(rec["cap"])
            if f["merged"] and "HUYEN" in cap:
                cap = [c for c in cap if c != "HUYEN"]
                if "XA" not in cap:
                    cap.append("XA")
            row = {
                "MaTTHC": rec["ma"], "TenTTHC": rec["ten"], "MaLinhVuc": rec["ma_lv"], "TenLinhVuc": rec["ten_lv"],
                "CapThucHien": cap, "CoQuanCongBo": roots[ui], "MaDinhDanh": self._codes[ui],
                "MucDoDVC": MUC_DO[int(f["level"][i])], "CoPhiLePhi": int(rec["fee"]),
                "TichHopThanhToan": int(f["pay"][i]), "KetQuaBanGiay": int(rec["paper"]),
                "DoiTuongThucHien": list(rec["doituong"]), "ThoiHanGiaiQuyet": int(rec["t"]),
                "TrangThaiCongKhai": CONG_KHAI[int(f["status"][i])], "DayDuNoiDung": int(f["full"][i])}
            if f["_defect"][i] == _DK["unknown_procedure"]:
                row["MaTTHC"] = self._unknown_code(int(f["dsel"][i]))
                row["_defect_field"] = "MaTTHC"
            out.append(row)
        return out

    def _render_decisions(self, f: dict, idx: np.ndarray) -> list[dict]:
        cat = self.catalogue
        out = []
        day_s = _fmt(_sec(f["day"][idx]), date_only=True)
        for j, i in enumerate(idx.tolist()):
            procs, eff, pub = f["items"][i]
            pub = np.where(pub <= f["as_of"], pub, NA)
            eff_s = _fmt(_sec(eff), date_only=True)
            pub_s = _fmt(pub)
            lst = [{"MaTTHC": cat.code[p], "NgayHieuLucVanBan": e, "NgayCongKhai": c}
                   for p, e, c in zip(procs.tolist(), eff_s, pub_s, strict=True)]
            row = {"SoQuyetDinh": f["so"][i], "NgayQuyetDinh": day_s[j], "CoQuanBanHanh": self._codes[f["iss"][i]],
                   "LoaiCongBo": ("MOI", "SUA_DOI", "BAI_BO")[int(f["loai"][i])], "DanhSachTTHC": lst}
            d = f["_defect"][i]
            if d == _DK["unparseable_date"]:
                row["NgayQuyetDinh"] = self._bad_date(row["NgayQuyetDinh"] + "000000", int(f["dsel"][i]))
                row["_defect_field"] = "NgayQuyetDinh"
            elif d == _DK["unknown_procedure"]:
                lst[int(f["dsel"][i]) % len(lst)]["MaTTHC"] = self._unknown_code(int(f["dsel"][i]))
                row["_defect_field"] = "DanhSachTTHC.MaTTHC"
            out.append(row)
        return out

    def _render_report(self, f: dict, idx: np.ndarray) -> list[dict]:
        return [{"MaDinhDanh": self._codes[f["uid"][i]], "Ky": f["ky"][i], "SoHoSoTiepNhan": int(f["n"][i])}
                for i in idx.tolist()]

    def _render_ratings(self, f: dict, idx: np.ndarray) -> list[dict]:
        keys = self._hoso_keys(f, idx)
        ts = _fmt(f["t"][idx])
        out = []
        for j, i in enumerate(idx.tolist()):
            row = {"MaHoSo": keys[j], "NgayDanhGia": ts[j], "KetQua": RATING[int(f["res"][i])]}
            if f["_defect"][i] == _DK["unparseable_date"]:
                row["NgayDanhGia"] = self._bad_date(ts[j], int(f["dsel"][i]))
                row["_defect_field"] = "NgayDanhGia"
            out.append(row)
        return out

    def _hoso_keys(self, f: dict, idx: np.ndarray, prefix: str = "") -> list[str]:
        codes = self._codes[f["uid"][idx]]
        return [f"{c}-{prefix}{d}-{s:04d}" for c, d, s in zip(codes, _yymmdd(f["day"][idx]),
                                                              f["seq"][idx].tolist(), strict=True)]

    def _render_petitions(self, f: dict, idx: np.ndarray) -> list[dict]:
        cat = self.catalogue
        keys = self._hoso_keys(f, idx, "PA-")
        sl = f["slots"][idx]
        cols = [_fmt(sl[:, j]) for j in range(6)]
        oi = f["orig_uid"][idx]
        okeys = self._hoso_keys(dict(uid=np.maximum(oi, 0), day=f["orig_day"][idx], seq=f["orig_seq"][idx]),
                                np.arange(len(idx)), "PA-")
        out = []
        for j, i in enumerate(idx.tolist()):
            gui, recv, chuyen, xuly, ck, tc = (c[j] for c in cols)
            if tc:
                status = "TU_CHOI"
            elif ck:
                status = "DA_CONG_KHAI"
            elif xuly:
                status = "CHO_CONG_KHAI"
            elif recv:
                status = "DANG_XU_LY"
            else:
                status = "MOI"
            p = int(f["proc"][i])
            public = ck is not None
            hl = int(f["hailong"][i])
            row = {"MaPAKN": keys[j], "MaDonViXuLy": self._codes[f["uid"][i]], "MaTTHC": cat.code[p] if p >= 0 else None,
                   "PhanLoai": PHAN_LOAI[int(f["phan_loai"][i])], "ThuocThamQuyen": int(f["in_scope"][i]),
                   "NgayGui": gui, "NgayTiepNhan": recv, "NgayChuyenGanNhat": chuyen, "NgayXuLy": xuly,
                   "NgayTuChoi": tc, "TrangThai": status,
                   "SoLuotThich": int(f["likes"][i]) if public else 0,
                   "SoLuotKhongThich": int(f["dislikes"][i]) if public else 0,
                   "MaPAKNGoc": okeys[j] if oi[j] >= 0 else None,
                   "HaiLong": hl if (public and hl >= 0) else None}
            d = f["_defect"][i]
            if d == _DK["unparseable_date"]:
                fld = ("NgayTiepNhan", "NgayGui")[int(f["dsel"][i]) // 2 % 2]
                row[fld] = self._bad_date(row[fld], int(f["dsel"][i]))
                row["_defect_field"] = fld
            elif d == _DK["unknown_procedure"]:
                row["MaTTHC"] = self._unknown_code(int(f["dsel"][i]))
                row["_defect_field"] = "MaTTHC"
            out.append(row)
        return out

    def _render_dossiers(self, f: dict, idx: np.ndarray) -> list[dict]:
        cat = self.catalogue
        keys = self._hoso_keys(f, idx)
        sl = f["slots"][idx]
        cols = [_fmt(sl[:, j]) for j in range(10)]
        due = _fmt(f["due"][idx])
        last_vis = sl.max(axis=1)
        upd = np.where(f["sync_at"][idx] > last_vis, np.minimum(f["sync_at"][idx], f["as_of"]), last_vis)
        upd_s = _fmt(upd)
        units_disp = self._addr[0]
        root_disp = self._root_disp
        out = []
        for j, i in enumerate(idx.tolist()):
            c = [col[j] for col in cols]
            ui = int(f["uid"][i])
            code = self._codes[ui]
            p = int(f["proc"][i])
            ma = cat.code[p]
            term = int(f["term"][i])
            hist = []
            status = "2"
            for s in range(10):
                if c[s] is None:
                    continue
                st_code = str(term) if s == S_TERM else SLOT_STATUS[s]
                hist.append({"TrangThai": st_code, "ThoiDiem": c[s]})
                status = st_code
            supp = []
            if c[S_S1]:
                supp.append({"NgayYeuCau": c[S_S1], "NgayHoanThanh": c[S_S1D]})
            if c[S_S2]:
                supp.append({"NgayYeuCau": c[S_S2], "NgayHoanThanh": c[S_S2D]})
            tvis = c[S_TERM] is not None
            processed = tvis and term == 9
            comp = f["comp"][i]
            docs = [{"MaThanhPhanHoSo": f"{ma}.TP{k + 1:02d}", "DuocSoHoa": int(comp[k, 0]),
                     "DuocTaiSuDung": int(comp[k, 1]), "DuocLayTuKhoDMQG": int(comp[k, 2])}
                    for k in range(int(f["ncomp"][i]))]
            results = []
            if processed:
                link = f"https://ketqua.dvc.invalid/{keys[j]}.pdf" if f["eresult"][i] else ""
                results.append({"MaGiayToKetQua": f"KQ.{ma}", "DuongDanTepTinKetQua": link})
            fees = []
            if f["fee"][i] >= 0:
                fees.append({"MaPhiLePhi": f"LP.{ma}.01", "Gia": int(f["fee"][i])})
                if f["fee2"][i] >= 0:
                    fees.append({"MaPhiLePhi": f"LP.{ma}.02", "Gia": int(f["fee2"][i])})
            csdl = []
            if f["csdl"][i] & 1:
                csdl.append({"MaCSDL": "CSDLQGDC"})
            if f["csdl"][i] & 2:
                csdl.append({"MaCSDL": "CSDLQGDKDN"})
            loai = int(f["loai"][i])
            if loai == 1:
                fem = bool(f["female"][i])
                name = " ".join((SURNAMES[f["surname"][i]], (MIDDLE_F if fem else MIDDLE_M)[f["middle"][i]],
                                 (GIVEN_F if fem else GIVEN_M)[f["given"][i]]))
            else:
                o = int(f["org"][i])
                name = f"{ORG_KIND[o % 4]} {ORG_FIELD[o // 4 % 8]} {ORG_WORDS[o // 32 % 16]}"
            ac = int(f["addr_c"][i])
            place = (f"{units_disp[ac]}, {root_disp[ac]}" if ac >= 0 else root_disp[ui])
            pay = int(f["pay"][i])
            row = {
                "MaHoSo": keys[j], "MaTTHC": ma, "MaDonViXuLy": code, "KenhThucHien": str(int(f["channel"][i])),
                "LoaiDoiTuong": str(loai), "ChuHoSo": name, "SoGiayToChuHoSo": f"{int(f['idnum'][i]):012d}",
                "SoDienThoai": f"0{int(f['phone'][i]):09d}",
                "DiaChi": f"Số {int(f['house'][i])}, đường {STREETS[f['street'][i]]}, {place}",
                "NgayNopHoSo": c[S_SUB], "NgayTiepNhan": c[S_RECV], "NgayHenTra": due[j] or "",
                "NgayKetThucXuLy": c[S_TERM] if (tvis and term in (8, 9)) else None,
                "NgayTra": c[S_RET], "NgayTuChoi": c[S_TERM] if (tvis and term == 3) else None,
                "TrangThaiHoSo": status, "QuaTrinhXuLy": hist, "DanhSachHoSoBoSung": supp, "TaiLieuNop": docs,
                "DanhSachGiayToKetQua": results, "DanhSachLePhi": fees,
                "DuocThanhToanTrucTuyen": str(pay) if fees else "0",
                "TaiKhoanDuocXacThucVoiVNeID": int(f["vneid"][i]), "DSKetNoiCSDL": csdl,
                "DongBoDVCQG": int(f["sync"][i]), "NgayCapNhat": upd_s[j]}
            d = f["_defect"][i]
            if d == _DK["unparseable_date"]:
                fld = ("NgayTiepNhan", "NgayNopHoSo", "NgayHenTra")[int(f["dsel"][i]) // 2 % 3]
                row[fld] = self._bad_date(row[fld] or c[S_RECV], int(f["dsel"][i]))
                row["_defect_field"] = fld
            elif d == _DK["unknown_procedure"]:
                row["MaTTHC"] = self._unknown_code(int(f["dsel"][i]))
                row["_defect_field"] = "MaTTHC"
            elif d == _DK["negative_fee"]:
                fees[0]["Gia"] = -max(fees[0]["Gia"], 1000)
                row["_defect_field"] = "DanhSachLePhi.Gia"
            out.append(row)
        return out


def _none(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v


def _rebadge(f: Feed, generated_at: str) -> Feed:
    g = Feed.__new__(Feed)
    g.__dict__.update(f.__dict__)
    g.generated_at = generated_at
    return g
