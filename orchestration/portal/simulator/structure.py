"""The national unit structure of the portal simulator (deterministic from the seed).

What it builds, from the reference data in ``orchestration/reference``:

- Provinces: the 63 pre-2025 provinces, in force 2022-01-01..2025-06-30, and the 34 provinces of
  ``provinces_2025.csv`` from 2025-07-01. A 2025 province formed from a single old province with the same
  statistics-office code (11 of them) is the SAME unit, in force throughout. Every other old province ends on
  2025-06-30 with ``DonViKeThua`` = the merged province, which starts on 2025-07-01 with a new code.
- Per province 15 departments (sở, ban, ngành, police); departments of an ending province end with it and pass to
  the department of the same kind in the successor province.
- Before 2025-07-01, districts (8-12 per old province) and communes under them. Only the 2025 communes are known, so
  each 2025 commune of a merged province is assigned to one of its predecessor provinces (contiguous blocks in
  statistics-code order, in equal shares, predecessors in code order) and gets one pre-2025 commune unit (in force
  until 2025-06-30, under a district of that old province, ``DonViKeThua`` = the 2025 commune unit) and one 2025
  commune unit (from 2025-07-01, directly under the 2025 province: there are no districts after July 2025).
- Ministries and ministerial-level agencies of ``ministries.csv`` with their validity and successors, each with 4
  subordinate units that end with their ministry and pass to the successor ministry.

Code conventions of the simulator (QCVN 102:2016 shaped, 13 characters, so that codes sort consistently):

==========================  ===========================================  ===============================
unit                        code                                         example
==========================  ===========================================  ===============================
pre-2025 / continuing prov  ``000.00.00.H{gso}``                         ``000.00.00.H25``
merged 2025 province        ``000.00.00.K{gso}``                         ``000.00.00.K25``
department                  ``000.00.{10..24}.H{gso}`` / ``.K{gso}``     ``000.00.11.H25`` (Sở Y tế)
district (until 2025-06-30) ``000.00.{30..41}.H{gso}``                   ``000.00.30.H25``
pre-2025 commune            ``{seq:03d}.{district:02d}.00.H{gso}``       ``007.31.00.H25`` (seq from 001)
2025 commune                ``{seq:03d}.00.00.H{gso}`` / ``.K{gso}``     ``042.00.00.K25`` (seq from 001)
ministry                    ``000.00.00.G{nn}``                          ``000.00.00.G15``
ministry unit               ``000.00.{10..13}.G{nn}``                    ``000.00.10.G15``
==========================  ===========================================  ===============================

``K`` (for merged 2025 provinces) is the simulator's own convention, not an official one. Ministries without a
known electronic code get G22, G23, ... in the order of ``ministries.csv``.

``MaHanhChinh`` is the 2-digit province code for provinces and the 5-digit commune code for communes (a pre-2025
commune carries the code of the 2025 commune it became); other units have none. ``IdDanhGia`` is a UUID derived
from the code (uuid5), null for ~3% of the units below provinces and ministries.

Each unit also carries the simulator's latent parameters: a quality in [0, 1] at an anchor month, a monthly trend,
and a volume weight; ``quality_at`` gives the quality in a given month (with a dip in the Tết month and in the
first months after the July 2025 reorganisation).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration import calendar as vncal

REFERENCE = Path(__file__).resolve().parents[2] / "reference"

START = np.datetime64("2022-01-01", "D")
MERGER = np.datetime64("2025-07-01", "D")
MERGER_END = np.datetime64("2025-06-30", "D")
# month index: months since 2000-01 (2022-08 -> 271)
ANCHOR_MONTH = (2022 - 2000) * 12 + 7

UNIT_TYPES = ("MINISTRY", "MINISTRY_UNIT", "PROVINCE", "PROVINCIAL_DEPARTMENT", "DISTRICT_PEOPLE_COMMITTEE",
              "COMMUNE_PEOPLE_COMMITTEE")

CENTRAL_CITIES_PRE2025 = {"01", "31", "48", "79", "92"}
CITY_VOLUME = {"01": 3.0, "79": 3.2, "31": 1.6, "48": 1.6, "92": 1.4, "75": 1.5, "74": 1.6, "24": 1.3, "27": 1.3,
               "22": 1.2, "56": 1.1, "26": 1.2}

DEPARTMENTS = (
    "Sở Tư pháp", "Sở Y tế", "Sở Tài chính", "Sở Xây dựng", "Sở Nội vụ", "Sở Giáo dục và Đào tạo",
    "Sở Công Thương", "Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch", "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ", "Thanh tra",
    "Ban Quản lý các khu công nghiệp", "Công an",
)

MINISTRY_UNITS = {
    "QP": ("Cục Dân quân tự vệ", "Cục Quân y", "Cục Chính sách", "Cục Tác chiến"),
    "CA": ("Cục Cảnh sát quản lý hành chính về trật tự xã hội", "Cục Quản lý xuất nhập cảnh",
           "Cục Cảnh sát giao thông", "Cục Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ"),
    "NG": ("Cục Lãnh sự", "Cục Lễ tân Nhà nước", "Cục Quản lý lao động ngoài nước", "Cục Ngoại vụ"),
    "NV": ("Cục Việc làm", "Cục Tiền lương và Bảo hiểm xã hội", "Cục Văn thư và Lưu trữ nhà nước",
           "Ban Thi đua - Khen thưởng Trung ương"),
    "TP": ("Cục Hộ tịch, quốc tịch, chứng thực", "Cục Bổ trợ tư pháp", "Cục Đăng ký quốc gia giao dịch bảo đảm",
           "Cục Con nuôi"),
    "KHDT": ("Cục Quản lý đăng ký kinh doanh", "Cục Đầu tư nước ngoài", "Cục Phát triển doanh nghiệp",
             "Tổng cục Thống kê"),
    "TC": ("Tổng cục Thuế", "Tổng cục Hải quan", "Cục Quản lý công sản", "Cục Quản lý giá"),
    "CT": ("Cục Xuất nhập khẩu", "Cục Hóa chất", "Cục Điện lực và Năng lượng tái tạo",
           "Cục Phòng vệ thương mại"),
    "NNPTNT": ("Cục Trồng trọt", "Cục Chăn nuôi", "Cục Thú y", "Cục Bảo vệ thực vật"),
    "GTVT": ("Cục Đường bộ Việt Nam", "Cục Hàng hải Việt Nam", "Cục Hàng không Việt Nam",
             "Cục Đăng kiểm Việt Nam"),
    "XD": ("Cục Quản lý hoạt động xây dựng", "Cục Kinh tế xây dựng", "Cục Đường bộ Việt Nam",
           "Cục Hàng hải và Đường thủy Việt Nam"),
    "TNMT": ("Tổng cục Quản lý đất đai", "Cục Quản lý tài nguyên nước", "Cục Kiểm soát ô nhiễm môi trường",
             "Cục Khoáng sản Việt Nam"),
    "TTTT": ("Cục Viễn thông", "Cục Tần số vô tuyến điện", "Cục Báo chí", "Cục Xuất bản, In và Phát hành"),
    "LDTBXH": ("Cục Việc làm", "Cục Quản lý lao động ngoài nước", "Cục Người có công",
               "Cục Bảo trợ xã hội"),
    "VHTTDL": ("Cục Di sản văn hóa", "Cục Nghệ thuật biểu diễn", "Cục Bản quyền tác giả", "Cục Du lịch Quốc gia Việt Nam"),
    "KHCN": ("Cục Sở hữu trí tuệ", "Cục An toàn bức xạ và hạt nhân", "Cục Viễn thông",
             "Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia"),
    "GDDT": ("Cục Quản lý chất lượng", "Cục Hợp tác quốc tế", "Cục Nhà giáo và Cán bộ quản lý giáo dục",
             "Cục Khoa học, Công nghệ và Thông tin"),
    "YT": ("Cục Quản lý Dược", "Cục Quản lý Khám, chữa bệnh", "Cục An toàn thực phẩm",
           "Cục Quản lý Môi trường y tế"),
    "NNMT": ("Cục Quản lý đất đai", "Cục Trồng trọt và Bảo vệ thực vật", "Cục Chăn nuôi và Thú y",
             "Cục Môi trường"),
    "DTTG": ("Ban Tôn giáo Chính phủ", "Vụ Chính sách dân tộc", "Vụ Địa phương",
             "Vụ Dân tộc thiểu số"),
    "VPCP": ("Cục Kiểm soát thủ tục hành chính", "Vụ Đổi mới doanh nghiệp", "Cục Hành chính - Quản trị",
             "Vụ Pháp luật"),
    "TTCP": ("Cục Giải quyết khiếu nại, tố cáo và thanh tra khu vực I", "Cục Phòng, chống tham nhũng",
             "Cục Giám sát, thẩm định và xử lý sau thanh tra", "Vụ Tiếp công dân"),
    "NHNN": ("Cục Quản lý ngoại hối", "Cục Thanh toán", "Cục Phát hành và Kho quỹ",
             "Cơ quan Thanh tra, giám sát ngân hàng"),
    "UBDT": ("Vụ Chính sách dân tộc", "Vụ Địa phương I", "Vụ Địa phương II", "Vụ Dân tộc thiểu số"),
    "BHXH": ("Ban Thu", "Ban Thực hiện chính sách bảo hiểm xã hội", "Ban Thực hiện chính sách bảo hiểm y tế",
             "Ban Sổ - Thẻ"),
}


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def stable_int(*parts) -> int:
    """A stable 32-bit integer from strings/ints (not Python's salted hash)."""
    h = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=4).digest()
    return int.from_bytes(h, "little")


def rng(seed: int, *parts) -> np.random.Generator:
    """A numpy Generator seeded from the seed and any labels (dataset, year, month, chunk...)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed)] + [stable_int(p) for p in parts]))


def month_index(year: int, month: int) -> int:
    return (year - 2000) * 12 + (month - 1)


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, dtype=str, keep_default_na=False)


@lru_cache(maxsize=4)
def build_structure(seed: int = 766) -> pd.DataFrame:
    """All units, one row each, sorted by code. Columns:

    code, name, type, parent, mhc, valid_from, valid_to (datetime64[D], NaT while in force), successor, cert
    (Int8, communes only), id_danh_gia, root (the province or ministry code the unit rolls up to), gso (province
    code), level (BO/TINH/HUYEN/XA: level of procedures it handles), dept (department or ministry-unit index, -1),
    ministry (short code for the ministry block), q_anchor, anchor_month, slope, weight (relative dossier volume).
    """
    r = rng(seed, "structure")
    pre = _read("provinces_pre2025.csv")
    new = _read("provinces_2025.csv")
    communes = _read("communes_2025.csv").sort_values("gso_code", kind="stable")
    ministries = _read("ministries.csv")
    rows: list[dict] = []

    def add(**kw):
        base = dict(parent=None, mhc=None, valid_to=None, successor=None, cert=None, dept=-1, ministry=None,
                    level=None, gso=None, root=None)
        base.update(kw)
        rows.append(base)

    # ---- provinces ------------------------------------------------------------------------------------------
    preds = {g: pre.loc[pre["merged_into_gso_code"] == g, "gso_code"].tolist() for g in new["gso_code"]}
    continuing = {g for g, p in preds.items() if p == [g]}

    # assign 2025 communes to predecessor old provinces (contiguous blocks, equal shares)
    commune_old = {}
    for g, plist in preds.items():
        cs = communes.loc[communes["province_gso_code"] == g, "gso_code"].tolist()
        k = len(plist)
        bounds = np.round(np.linspace(0, len(cs), k + 1)).astype(int)
        for i, old in enumerate(sorted(plist)):
            for c in cs[bounds[i]:bounds[i + 1]]:
                commune_old[c] = old
    communes = communes.assign(old_gso=communes["gso_code"].map(commune_old))
    n_communes_old = communes.groupby("old_gso").size().to_dict()

    prov_q = {}
    prov_slope = {}
    prov_w = {}
    total_old = sum(n_communes_old[g] * CITY_VOLUME.get(g, 1.0) for g in pre["gso_code"])
    for g in pre["gso_code"]:
        prov_q[g] = float(r.uniform(0.12, 0.9))
        prov_slope[g] = float(r.uniform(-0.003, 0.006))
        prov_w[g] = n_communes_old[g] * CITY_VOLUME.get(g, 1.0) / total_old

    new_full = dict(zip(new["gso_code"], new["full_name"], strict=True))
    prov_code_old = {}
    prov_code_new = {}
    for g in new["gso_code"]:
        prov_code_new[g] = f"000.00.00.{'H' if g in continuing else 'K'}{g}"
    for g in pre["gso_code"]:
        prov_code_old[g] = f"000.00.00.H{g}"
    old_full = {}
    for g, name in zip(pre["gso_code"], pre["name"], strict=True):
        old_full[g] = new_full[g] if g in continuing else (
            f"Thành phố {name}" if g in CENTRAL_CITIES_PRE2025 else f"Tỉnh {name}")

    province_info = {}  # code -> dict(full, gso, q, slope, w, anchor, valid_from, valid_to, successor)
    for g, into in zip(pre["gso_code"], pre["merged_into_gso_code"], strict=True):
        code = prov_code_old[g]
        cont = g in continuing
        province_info[code] = dict(
            full=old_full[g], gso=g, q=prov_q[g], slope=prov_slope[g], w=prov_w[g], anchor=ANCHOR_MONTH,
            valid_from=START, valid_to=None if cont else MERGER_END,
            successor=None if cont else prov_code_new[into])
    for g in new["gso_code"]:
        if g in continuing:
            continue
        plist = preds[g]
        ws = np.array([prov_w[p] for p in plist])
        qs = np.array([prov_q[p] + prov_slope[p] * (month_index(2025, 6) - ANCHOR_MONTH) for p in plist])
        province_info[prov_code_new[g]] = dict(
            full=new_full[g], gso=g, q=float(np.clip((qs * ws).sum() / ws.sum(), 0.05, 0.97)),
            slope=float(r.uniform(-0.002, 0.007)), w=float(ws.sum()), anchor=month_index(2025, 7),
            valid_from=MERGER, valid_to=None, successor=None)

    def unit_q(pq):
        return float(np.clip(pq + r.normal(0, 0.09), 0.02, 0.98))

    for code, p in province_info.items():
        add(code=code, name=f"UBND {_lower_first(p['full'])}", type="PROVINCE", mhc=p["gso"], valid_from=p["valid_from"],
            valid_to=p["valid_to"], successor=p["successor"], root=code, gso=p["gso"], level="TINH",
            q_anchor=unit_q(p["q"]), anchor_month=p["anchor"], slope=p["slope"] + r.normal(0, 0.001),
            weight=p["w"] * 0.02)
        dw = r.lognormal(0, 0.5, len(DEPARTMENTS))
        dw = dw / dw.sum() * 0.28 * p["w"]
        succ_prefix = p["successor"]
        for i, dname in enumerate(DEPARTMENTS):
            if dname in ("Công an", "Thanh tra"):
                name = f"{dname} {_lower_first(p['full'])}"
            else:
                name = f"{dname} - {p['full']}"
            dcode = f"000.00.{10 + i}.{code[-3:]}"
            add(code=dcode, name=name, type="PROVINCIAL_DEPARTMENT", parent=code, valid_from=p["valid_from"],
                valid_to=p["valid_to"], successor=None if succ_prefix is None else f"000.00.{10 + i}.{succ_prefix[-3:]}",
                root=code, gso=p["gso"], level="TINH", dept=i, q_anchor=unit_q(p["q"]), anchor_month=p["anchor"],
                slope=p["slope"] + r.normal(0, 0.0015), weight=float(dw[i]))

    # ---- districts and pre-2025 communes; 2025 communes -------------------------------------------------------
    new_commune_code = {}
    new_commune_seq = {}
    for g in new["gso_code"]:
        cs = communes.loc[communes["province_gso_code"] == g, "gso_code"].tolist()
        pref = prov_code_new[g][-3:]
        for seq, c in enumerate(cs, start=1):
            new_commune_code[c] = f"{seq:03d}.00.00.{pref}"
            new_commune_seq[c] = seq
    old_commune_q = {}
    for g in pre["gso_code"]:
        p = province_info[prov_code_old[g]]
        cs = communes.loc[communes["old_gso"] == g].to_dict("records")
        n = len(cs)
        nd = int(min(max(round(n / 10), 8), 12, n))
        bounds = np.round(np.linspace(0, n, nd + 1)).astype(int)
        dist_share = r.lognormal(0, 0.4, nd)
        dist_share = dist_share / dist_share.sum() * 0.20 * p["w"]
        com_share = r.lognormal(0, 0.6, n)
        com_share = com_share / com_share.sum() * 0.50 * p["w"]
        succ_prov = province_info[prov_code_old[g]]["successor"] or prov_code_old[g]
        for d in range(nd):
            block = cs[bounds[d]:bounds[d + 1]]
            first = block[0]
            if g in CENTRAL_CITIES_PRE2025:
                kind = "quận" if d < nd // 2 else "huyện"
            else:
                kind = "thành phố" if d == 0 else ("thị xã" if d == 1 else "huyện")
            dcode = f"000.00.{30 + d}.H{g}"
            dq = unit_q(p["q"])
            add(code=dcode, name=f"UBND {kind} {first['name']}", type="DISTRICT_PEOPLE_COMMITTEE",
                parent=prov_code_old[g], valid_from=START, valid_to=MERGER_END, successor=succ_prov,
                root=prov_code_old[g], gso=g, level="HUYEN", q_anchor=dq, anchor_month=ANCHOR_MONTH,
                slope=p["slope"] + r.normal(0, 0.0015), weight=float(dist_share[d]))
            for s, c in enumerate(block, start=1):
                if c["unit_type"] == "Phường" or kind == "quận":
                    ctype = "phường"
                elif s == 1 and kind == "huyện":
                    ctype = "thị trấn"
                else:
                    ctype = "xã"
                cq = float(np.clip(dq + r.normal(0, 0.08), 0.02, 0.98))
                slope = p["slope"] + r.normal(0, 0.002)
                old_commune_q[c["gso_code"]] = (cq + slope * (month_index(2025, 6) - ANCHOR_MONTH), slope)
                add(code=f"{s:03d}.{30 + d:02d}.00.H{g}", name=f"UBND {ctype} {c['name']}",
                    type="COMMUNE_PEOPLE_COMMITTEE", parent=dcode, mhc=c["gso_code"], valid_from=START,
                    valid_to=MERGER_END, successor=new_commune_code[c["gso_code"]],
                    cert=int(r.random() < 0.2 + 0.6 * cq), root=prov_code_old[g], gso=g, level="XA",
                    q_anchor=cq, anchor_month=ANCHOR_MONTH, slope=slope,
                    weight=float(com_share[bounds[d] + s - 1]))
    for g in new["gso_code"]:
        pcode = prov_code_new[g]
        p = province_info[pcode]
        cs = communes.loc[communes["province_gso_code"] == g].to_dict("records")
        com_share = r.lognormal(0, 0.6, len(cs))
        com_share = com_share / com_share.sum() * 0.70 * p["w"]
        for i, c in enumerate(cs):
            q_prev, slope = old_commune_q[c["gso_code"]]
            cq = float(np.clip(q_prev + r.normal(0, 0.05), 0.02, 0.98))
            ctype = _lower_first(c["unit_type"])
            add(code=new_commune_code[c["gso_code"]], name=f"UBND {ctype} {c['name']}",
                type="COMMUNE_PEOPLE_COMMITTEE", parent=pcode, mhc=c["gso_code"], valid_from=MERGER,
                cert=int(r.random() < 0.25 + 0.65 * cq), root=pcode, gso=g, level="XA", q_anchor=cq,
                anchor_month=month_index(2025, 7), slope=slope, weight=float(com_share[i]))

    # ---- ministries -------------------------------------------------------------------------------------------
    used = {c for c in ministries["edoc_code"] if c}
    gcode = {}
    nxt = 22
    for short, ed in zip(ministries["short_code"], ministries["edoc_code"], strict=True):
        if ed:
            gcode[short] = ed
        else:
            while f"G{nxt}" in used:
                nxt += 1
            gcode[short] = f"G{nxt}"
            used.add(gcode[short])
    n_min = len(ministries)
    for _, m in ministries.iterrows():
        code = f"000.00.00.{gcode[m['short_code']]}"
        vf = np.datetime64(m["valid_from"], "D")
        vt = np.datetime64(m["valid_to"], "D") if m["valid_to"] else None
        succ = f"000.00.00.{gcode[m['merged_into']]}" if m["merged_into"] else None
        mq = float(r.uniform(0.2, 0.92))
        mslope = float(r.uniform(-0.002, 0.006))
        anchor = ANCHOR_MONTH if vf <= np.datetime64("2022-08-01") else month_index(vf.astype(object).year,
                                                                                       vf.astype(object).month)
        mw = 0.042 / (n_min - 5)
        add(code=code, name=nfc(m["name"]), type="MINISTRY", valid_from=vf, valid_to=vt, successor=succ, root=code,
            level="BO", ministry=m["short_code"], q_anchor=mq, anchor_month=anchor, slope=mslope, weight=mw * 0.2)
        uw = r.lognormal(0, 0.5, 4)
        uw = uw / uw.sum() * mw * 0.8
        for i, uname in enumerate(MINISTRY_UNITS[m["short_code"]]):
            add(code=f"000.00.{10 + i}.{gcode[m['short_code']]}", name=nfc(uname), type="MINISTRY_UNIT",
                parent=code, valid_from=vf, valid_to=vt, successor=succ, root=code, level="BO", dept=i,
                ministry=m["short_code"], q_anchor=float(np.clip(mq + r.normal(0, 0.08), 0.02, 0.98)),
                anchor_month=anchor, slope=mslope + r.normal(0, 0.0015), weight=float(uw[i]))

    vfrom = np.array([x["valid_from"] for x in rows], dtype="datetime64[D]")
    vto = np.array([np.datetime64("NaT") if x["valid_to"] is None else x["valid_to"] for x in rows],
                   dtype="datetime64[D]")
    df = pd.DataFrame(rows)
    df["name"] = df["name"].map(nfc)
    df["valid_from"] = vfrom
    df["valid_to"] = vto
    df = df.sort_values("code", kind="stable").reset_index(drop=True)
    assert df["code"].is_unique, "unit codes must be unique"
    # IdDanhGia: uuid5 of the code; null for ~3% of the units below provinces and ministries
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"dvc-index-simulator:{c}")) for c in df["code"]]
    r_id = rng(seed, "id-danh-gia")
    null = (r_id.random(len(df)) < 0.03) & ~df["type"].isin(["PROVINCE", "MINISTRY"]).to_numpy()
    df["id_danh_gia"] = [None if n else i for n, i in zip(null, ids, strict=True)]
    df["cert"] = df["cert"].astype("Int8")
    df["dept"] = df["dept"].astype(np.int64)
    df["anchor_month"] = df["anchor_month"].astype(np.int64)
    return df


def tet_months() -> set[int]:
    """Month indices (see month_index) of the months that contain the Lunar New Year's day, 2022-2027."""
    out = set()
    for y in range(vncal.FIRST_YEAR, vncal.LAST_YEAR + 1):
        d = vncal.lunar_new_year(y)
        out.add(month_index(d.year, d.month))
    return out


_TET = None


def quality_at(units: pd.DataFrame, year: int, month: int) -> np.ndarray:
    """Each unit's quality in the given month: anchor quality + trend, minus a dip in the Tết month and in the
    first three months of units created by the July 2025 reorganisation; clipped to [0.02, 0.99]."""
    global _TET
    if _TET is None:
        _TET = tet_months()
    m = month_index(year, month)
    q = units["q_anchor"].to_numpy() + units["slope"].to_numpy() * (m - units["anchor_month"].to_numpy())
    if m in _TET:
        q = q - 0.10
    since = m - month_index(2025, 7)
    if 0 <= since < 3:
        created = units["valid_from"].to_numpy() == MERGER
        q = q - np.where(created, (0.12, 0.08, 0.04)[since], 0.0)
    return np.clip(q, 0.02, 0.99)


def in_force(units: pd.DataFrame, first, last) -> np.ndarray:
    """Boolean mask: units in force at any time in [first, last] (dates)."""
    vf = units["valid_from"].to_numpy()
    vt = units["valid_to"].to_numpy()
    first = np.datetime64(first, "D")
    last = np.datetime64(last, "D")
    return (vf <= last) & (np.isnat(vt) | (vt >= first))
