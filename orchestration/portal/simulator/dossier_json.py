"""JSON text of the dossiers feed, rendered column-wise instead of one dict per dossier.

Why: building a dict per dossier (`PortalData._render_dossiers`) and encoding it with `json` cost ~100 µs a row,
which held extraction from the simulator to a few thousand dossiers per second.

How: a page's JSON is a sequence of small text pieces: fixed literals (`{"MaHoSo":"`), entries of vocabularies
(unit codes, procedure codes, names, streets, places, small numbers) and a few per-page columns (dates, ID and
phone numbers, fees) turned into text by one Arrow cast each. numpy decides, for every row at once, which pieces
the row is made of (present dates quoted, absent ones `null`, list entries only where they exist, commas between
them); a single Arrow `take` then lays all the pieces end to end, without the GIL, and its data buffer is the page.

The text is byte for byte what ``json.dumps(rows, ensure_ascii=False, separators=(",", ":"))`` gives for the
reference renderer's rows, which stays in the generator as the definition (tests/simulator/test_dossier_json.py
compares the two). The few rows that carry an injected value defect (unparseable date, unknown procedure, negative
fee: a few per thousand) are rendered by the reference and spliced in. Vocabulary text is JSON-escaped once per
entry with `json.dumps`; everything else is digits and fixed ASCII.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.portal.simulator.generator import (
    _DK,
    GIVEN_F,
    GIVEN_M,
    MIDDLE_F,
    MIDDLE_M,
    ORG_FIELD,
    ORG_KIND,
    ORG_WORDS,
    S_RECV,
    S_RET,
    S_S1,
    S_S1D,
    S_S2,
    S_S2D,
    S_SUB,
    S_TERM,
    SLOT_STATUS,
    STREETS,
    SURNAMES,
    _fmt_num,
    _yymmdd_num,
)

if TYPE_CHECKING:
    from orchestration.portal.simulator.generator import PortalData

# defects whose row differs from the clean rendering (a duplicate is the clean row served twice)
VALUE_DEFECTS = (_DK["unparseable_date"], _DK["unknown_procedure"], _DK["negative_fee"])
MAX_COMPONENTS = 4  # TaiLieuNop entries per dossier (the generator's `comp` has this many slots)
SMALL = 10_000  # numbers below this are taken from a vocabulary instead of being cast
ORG_NAMES = 512  # an organisation's name depends on `org` modulo 4 * 8 * 16 only
CSDL = ('{"MaCSDL":"CSDLQGDC"}', '{"MaCSDL":"CSDLQGDKDN"}')
ABSENT = -1  # a piece a row does not have
LITERALS = 512  # size of the pool's literal region
MAX_ROWS_PER_TAKE = 20_000  # keeps one take's text well under Arrow's 2 GiB string limit


def _escaped(values) -> list[str]:
    """JSON string bodies (escaped, without the quotes) of a vocabulary."""
    return [json.dumps(v, ensure_ascii=False)[1:-1] for v in values]


def _join(*pieces) -> pa.Array:
    return pc.binary_join_element_wise(*pieces, "")


def _text(values: np.ndarray) -> pa.Array:
    """Integers as decimal text (one Arrow cast)."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


class _Layout:
    """The pieces of a slice of rows: texts added to the pool and, per row, the pool indices of its pieces in order.

    The pool is `[literals, static vocabularies, texts of this slice]`; literals live in a fixed-size region at
    its start so that their indices are known before the slice's texts are.
    """

    def __init__(self, n: int, literals: dict[str, int], lock: threading.Lock, size: int) -> None:
        self.n = n
        self.literals = literals
        self.lock = lock
        self.size = size
        self.texts: list[pa.Array] = []
        self.columns: list[np.ndarray | int] = []
        self.dropped: tuple[np.ndarray, int] | None = None

    def add(self, texts: pa.Array) -> int:
        """Append per-slice texts to the pool; returns the index of the first."""
        offset = self.size
        self.texts.append(texts)
        self.size += len(texts)
        return offset

    def lit(self, text: str) -> int:
        index = self.literals.get(text)
        if index is None:
            with self.lock:  # the server renders pages in several threads: one index per literal
                index = self.literals.setdefault(text, len(self.literals))
        if index >= LITERALS:
            raise OverflowError("more distinct literals than the pool's literal region holds")
        return index

    def put(self, *pieces) -> None:
        """Append pieces to every row: a str is a literal, an int one pool index, an array one index per row."""
        for p in pieces:
            self.columns.append(self.lit(p) if isinstance(p, str) else p)

    def put_if(self, mask: np.ndarray, *pieces) -> None:
        """Append pieces to the rows where `mask` holds."""
        for p in pieces:
            self.columns.append(np.where(mask, self.lit(p) if isinstance(p, str) else p, ABSENT))

    def drop(self, rows: np.ndarray) -> None:
        """Remove every piece put so far from the rows where `rows` holds."""
        self.dropped = (rows, len(self.columns))

    def indices(self) -> np.ndarray:
        """Pool indices of every present piece, row after row."""
        by_piece = np.empty((len(self.columns), self.n), dtype=np.int32)
        for j, column in enumerate(self.columns):
            by_piece[j] = column
        if self.dropped is not None:
            rows, before = self.dropped
            by_piece[:before, rows] = ABSENT
        flat = by_piece.T.ravel()
        return flat[flat != ABSENT]


class DossierJson:
    """Renders served dossier rows as JSON text for one `PortalData` (its vocabularies are prepared once)."""

    def __init__(self, data: PortalData) -> None:
        self.data = data
        disp = data._addr[0]
        root_disp = data._root_disp
        statuses = range(max(int(s) for s in SLOT_STATUS if s) + 1)
        vocabularies = {
            "code": _escaped(data._codes.tolist()),
            "procedure": _escaped(data.catalogue.code.tolist()),
            # addresses: "{commune}, {its root}" when the applicant lives in a known commune, else "{root}"
            "commune_place": _escaped([f"{d}, {r}" for d, r in zip(disp, root_disp, strict=True)]),
            "root_place": _escaped(root_disp),
            # a citizen's full name: index ((female * surnames + surname) * middles + middle) * givens + given
            "person": _escaped([
                f"{sn} {(MIDDLE_F if fem else MIDDLE_M)[mi]} {(GIVEN_F if fem else GIVEN_M)[gi]}"
                for fem in (0, 1) for sn in SURNAMES for mi in range(len(MIDDLE_M)) for gi in range(len(GIVEN_M))]),
            "org": _escaped(
                [f"{ORG_KIND[o % 4]} {ORG_FIELD[o // 4 % 8]} {ORG_WORDS[o // 32 % 16]}" for o in range(ORG_NAMES)]),
            "street": [f", đường {t}, " for t in _escaped(STREETS)],
            "number": [str(i) for i in range(SMALL)],
            "number4": [f"{i:04d}" for i in range(SMALL)],
            # QuaTrinhXuLy: what comes before an entry's date, by (follows another entry, status)
            "history": [('"},' if follows else "") + f'{{"TrangThai":"{st}","ThoiDiem":"'
                        for follows in (0, 1) for st in statuses],
            # TaiLieuNop: what follows the procedure code in entry k, by (k, digitised, reused, from the store)
            "document": [f'.TP{k + 1:02d}","DuocSoHoa":{a},"DuocTaiSuDung":{b},"DuocLayTuKhoDMQG":{c}}}'
                         for k in range(MAX_COMPONENTS) for a in (0, 1) for b in (0, 1) for c in (0, 1)],
            "csdl": ["[]", f"[{CSDL[0]}]", f"[{CSDL[1]}]", f"[{CSDL[0]},{CSDL[1]}]"],
        }
        self.statuses = len(statuses)
        self.at: dict[str, int] = {}
        texts: list[str] = []
        for name, words in vocabularies.items():
            self.at[name] = LITERALS + len(texts)
            texts.extend(words)
        self.static = pa.array(texts, type=pa.string())
        self.literals: dict[str, int] = {}
        self._lock = threading.Lock()
        self._literal_texts = pa.array([""] * LITERALS, type=pa.string())
        self._literal_count = 0
        self.slot_status = [None if s is None else int(s) for s in SLOT_STATUS]
        self._day_num = np.zeros(0, dtype=np.int64)  # yyyyMMdd of each day since 1970-01-01, grown on demand

    def datetime_num(self, sec: np.ndarray) -> np.ndarray:
        """yyyyMMddHHmmss as int64 of non-negative local seconds (`_fmt_num`, with the date looked up by day)."""
        day = sec // 86400
        table = self._day_num
        if len(day) and int(day.max()) >= len(table):
            table = _fmt_num(np.arange(int(day.max()) + 366, dtype=np.int64) * 86400, date_only=True)[0]
            self._day_num = table  # another thread may have grown it meanwhile: either table covers its days
        tod = sec % 86400
        return table[day] * 1_000_000 + (tod // 3600) * 10000 + (tod // 60 % 60) * 100 + tod % 60

    def number(self, values: np.ndarray) -> np.ndarray:
        """Pool indices of small non-negative integers as text."""
        values = np.asarray(values, dtype=np.int64)
        if len(values) and (values.min() < 0 or values.max() >= SMALL):
            raise ValueError("number out of the small-number vocabulary")
        return self.at["number"] + values

    def render(self, f: dict, idx: np.ndarray) -> list[memoryview]:
        """JSON text of the rows `idx` of the frame `f`, in chunks of comma-separated rows (unjoined, uncopied)."""
        return [self._render(f, idx[lo:lo + MAX_ROWS_PER_TAKE]) for lo in range(0, len(idx), MAX_ROWS_PER_TAKE)]

    def _render(self, f: dict, idx: np.ndarray) -> memoryview:
        n = len(idx)
        at = self.at
        out = _Layout(n, self.literals, self._lock, LITERALS + len(self.static))
        rows = np.arange(n)

        def col(name: str) -> np.ndarray:
            return f[name][idx].astype(np.int64)  # small integer dtypes would overflow once offset into the pool

        uid, proc, term = col("uid"), col("proc"), col("term")
        sl = f["slots"][idx]
        present = sl >= 0
        # every present slot's date as digits, in one cast; slot s of row r is at slot_at[s * n + r]
        by_slot = sl.T.ravel()
        shown = by_slot >= 0
        slot_at = out.add(_text(self.datetime_num(by_slot[shown]))) + np.cumsum(shown) - 1

        def slot(s: int) -> np.ndarray:
            return slot_at[s * n:(s + 1) * n]

        code = at["code"] + uid
        ma = at["procedure"] + proc
        days, day_of_row = np.unique(f["day"][idx], return_inverse=True)
        yymmdd = out.add(_join("-", pc.utf8_lpad(_text(_yymmdd_num(days)), width=6, padding="0"), "-"))
        seq = col("seq")
        if seq.max() >= SMALL:
            raise ValueError("dossier sequence beyond 4 digits")
        key = (code, yymmdd + day_of_row.ravel(), at["number4"] + seq)

        def date_or(name: str, shown: np.ndarray, date: np.ndarray, absent: str = "null") -> None:
            """`,"name":"date"` where shown, else `,"name":absent`."""
            out.put(np.where(shown, out.lit(f',"{name}":"'), out.lit(f',"{name}":{absent}')))
            out.put_if(shown, date, '"')

        out.put('{"MaHoSo":"', *key, '","MaTTHC":"', ma, '","MaDonViXuLy":"', code)
        out.put('","KenhThucHien":"', self.number(col("channel")))
        loai = col("loai")
        out.put('","LoaiDoiTuong":"', self.number(loai), '","ChuHoSo":"')
        person = ((col("female") * len(SURNAMES) + col("surname")) * len(MIDDLE_M) + col("middle")) * len(GIVEN_M)
        out.put(np.where(loai == 1, at["person"] + person + col("given"), at["org"] + col("org") % ORG_NAMES))
        idnum = out.add(pc.utf8_lpad(_text(f["idnum"][idx]), width=12, padding="0"))
        phone = out.add(pc.utf8_lpad(_text(f["phone"][idx]), width=9, padding="0"))
        out.put('","SoGiayToChuHoSo":"', idnum + rows, '","SoDienThoai":"0', phone + rows)
        addr_c = col("addr_c")
        out.put('","DiaChi":"Số ', self.number(col("house")), at["street"] + col("street"))
        out.put(np.where(addr_c >= 0, at["commune_place"] + addr_c, at["root_place"] + uid), '"')
        date_or("NgayNopHoSo", present[:, S_SUB], slot(S_SUB))
        date_or("NgayTiepNhan", present[:, S_RECV], slot(S_RECV))
        due = f["due"][idx]
        due_ok = due >= 0
        date_or("NgayHenTra", due_ok, out.add(_text(self.datetime_num(np.maximum(due, 0)))) + rows, absent='""')
        terminal = present[:, S_TERM]
        date_or("NgayKetThucXuLy", terminal & ((term == 8) | (term == 9)), slot(S_TERM))
        date_or("NgayTra", present[:, S_RET], slot(S_RET))
        date_or("NgayTuChoi", terminal & (term == 3), slot(S_TERM))

        # status and its history: one entry per present slot, the terminal slot carrying the outcome's status
        status = np.full(n, 2, dtype=np.int64)
        for s, fixed in enumerate(self.slot_status):
            status = np.where(present[:, s], term if fixed is None else fixed, status)
        out.put(',"TrangThaiHoSo":"', self.number(status), '","QuaTrinhXuLy":[')
        earlier = np.zeros(n, dtype=bool)
        for s, fixed in enumerate(self.slot_status):
            here = present[:, s]
            st = term if fixed is None else fixed
            out.put_if(here, at["history"] + earlier * self.statuses + st, slot(s))
            earlier |= here
        out.put(np.where(earlier, out.lit('"}]'), out.lit("]")))
        out.put(',"DanhSachHoSoBoSung":[')
        earlier = np.zeros(n, dtype=bool)
        for ask, done in ((S_S1, S_S1D), (S_S2, S_S2D)):
            here = present[:, ask]
            closed = here & present[:, done]
            out.put_if(here & earlier, ",")
            out.put_if(here, '{"NgayYeuCau":"', slot(ask))
            out.put_if(here, np.where(closed, out.lit('","NgayHoanThanh":"'), out.lit('","NgayHoanThanh":null}')))
            out.put_if(closed, slot(done), '"}')
            earlier |= here

        out.put('],"TaiLieuNop":[')
        ncomp = col("ncomp")
        comp = f["comp"][idx].astype(np.int64)
        for k in range(MAX_COMPONENTS):
            flags = comp[:, k, 0] * 4 + comp[:, k, 1] * 2 + comp[:, k, 2]
            out.put_if(ncomp > k, '{"MaThanhPhanHoSo":"' if k == 0 else ',{"MaThanhPhanHoSo":"', ma,
                       at["document"] + k * 8 + flags)

        out.put('],"DanhSachGiayToKetQua":[')
        processed = terminal & (term == 9)
        electronic = processed & f["eresult"][idx].astype(bool)
        out.put_if(processed, '{"MaGiayToKetQua":"KQ.', ma, '","DuongDanTepTinKetQua":"')
        out.put_if(electronic, "https://ketqua.dvc.invalid/", *key, ".pdf")
        out.put_if(processed, '"}')

        out.put('],"DanhSachLePhi":[')
        fee = f["fee"][idx]
        fee2 = f["fee2"][idx]
        has_fee = fee >= 0
        has_fee2 = has_fee & (fee2 >= 0)
        fee_text = out.add(_text(np.maximum(fee, 0)))
        fee2_text = out.add(_text(np.maximum(fee2, 0)))
        out.put_if(has_fee, '{"MaPhiLePhi":"LP.', ma, '.01","Gia":', fee_text + rows, "}")
        out.put_if(has_fee2, ',{"MaPhiLePhi":"LP.', ma, '.02","Gia":', fee2_text + rows, "}")
        paid = np.where(has_fee, col("pay"), 0)
        out.put('],"DuocThanhToanTrucTuyen":"', self.number(paid), '","TaiKhoanDuocXacThucVoiVNeID":',
                self.number(col("vneid")), ',"DSKetNoiCSDL":', at["csdl"] + (col("csdl") & 3),
                ',"DongBoDVCQG":', self.number(col("sync")))
        sync_at = f["sync_at"][idx]
        last_visible = sl.max(axis=1)
        updated = np.where(sync_at > last_visible, np.minimum(sync_at, f["as_of"]), last_visible)
        updated_ok = updated >= 0
        date_or("NgayCapNhat", updated_ok, out.add(_text(self.datetime_num(np.maximum(updated, 0)))) + rows)
        out.put("}")
        self._splice_value_defects(out, f, idx)

        out.put_if(rows < n - 1, ",")
        pieces = out.indices()
        pool = pa.concat_arrays([self._literal_region(), self.static, *out.texts])
        text = pool.take(pa.array(pieces))
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=len(text) + 1, offset=text.offset * 4)
        return memoryview(text.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])))

    def _literal_region(self) -> pa.Array:
        with self._lock:
            if len(self.literals) != self._literal_count:
                texts = list(self.literals) + [""] * (LITERALS - len(self.literals))
                self._literal_texts, self._literal_count = pa.array(texts, type=pa.string()), len(self.literals)
            return self._literal_texts

    def _splice_value_defects(self, out: _Layout, f: dict, idx: np.ndarray) -> None:
        """Rows with a value defect: every piece so far is dropped and the reference rendering put instead."""
        defective = np.isin(f["_defect"][idx], VALUE_DEFECTS)
        if not defective.any():
            return
        reference = self.data._render_dossiers(f, idx[defective])
        for row in reference:
            row.pop("_defect_field", None)
        texts = [json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for row in reference]
        out.drop(defective)
        first = out.add(pa.array(texts, type=pa.string()))
        out.put_if(defective, first + np.cumsum(defective) - 1)


def json_array_chunks(chunks: list[memoryview]) -> list[bytes | memoryview]:
    """The chunks of a JSON array of the rows in `chunks` (each a comma-separated run of rows), in order."""
    out: list[bytes | memoryview] = [b"["]
    for chunk in chunks:
        if len(chunk):
            if len(out) > 1:
                out.append(b",")
            out.append(chunk)
    out.append(b"]")
    return out
