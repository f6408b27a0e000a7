"""A page of records as the landed Arrow table: the bulk conversion gives exactly the text `as_text` defines.

`records_to_table` builds whole columns at once (strings as they are, integers by an Arrow cast, lists and objects
by orjson in one call per column); orjson writes some floats differently from `json` and refuses huge integers, so
those values must still land as `as_text` writes them.
"""

from __future__ import annotations

import math
import random

import pytest

from orchestration.landing import META_COLUMNS, as_text, record_key, records_to_table
from orchestration.portal.client import parse_json


def landed(records: list[dict], dataset: str = "dossiers") -> list[dict]:
    table = records_to_table(records, dataset=dataset, period="2025-07", extraction_id="X", page=4)
    return table.to_pylist()


def test_values_land_as_their_json_text_even_where_orjson_would_write_them_otherwise():
    record = {
        "MaHoSo": "H25-250714-0001",
        "Gia": 15000,
        "Co": True,
        "Nho": 1e-05,
        "KhongSo": math.nan,
        "Lon": 2**70,
        "QuaTrinhXuLy": [{"TrangThai": "2", "ThoiDiem": "20250714083000"}],
        "SoNho": [1e-05, 1.5e-07, 0.1, 100.0],
        "KhongHuuHan": [math.nan, math.inf],
        "SoLon": [2**70],
        "Chu": {"a": 'é\n"\\\x01'},
        "Rong": [],
    }
    (row,) = landed([record, ])
    assert row == {
        "MaHoSo": "H25-250714-0001",
        "Gia": "15000",
        "Co": "true",
        "Nho": "1e-05",
        "KhongSo": "NaN",
        "Lon": "1180591620717411303424",
        "QuaTrinhXuLy": '[{"TrangThai":"2","ThoiDiem":"20250714083000"}]',
        "SoNho": "[1e-05,1.5e-07,0.1,100.0]",
        "KhongHuuHan": "[NaN,Infinity]",
        "SoLon": "[1180591620717411303424]",
        "Chu": '{"a":"é\\n\\"\\\\\\u0001"}',
        "Rong": "[]",
        "_dataset": "dossiers",
        "_period": "2025-07",
        "_extracted_at": "X",
        "_page": 4,
        "_row": 0,
        "_record_key": "H25-250714-0001",
    }


def test_a_column_of_lists_with_one_odd_value_lands_that_value_as_json_writes_it():
    # the rest of the column goes through orjson in bulk; the one float that orjson writes otherwise must not
    records = [{"MaHoSo": f"K{i}", "DanhSachLePhi": [{"Gia": 1000 * i}]} for i in range(50)]
    records[17]["DanhSachLePhi"] = [{"Gia": 2.5e-06}]
    records[31]["DanhSachLePhi"] = [{"Gia": None, "Ghi": "null e-5 0.00001"}]
    column = [row["DanhSachLePhi"] for row in landed(records)]
    assert column[16] == '[{"Gia":16000}]'
    assert column[17] == '[{"Gia":2.5e-06}]'
    assert column[31] == '[{"Gia":null,"Ghi":"null e-5 0.00001"}]'


def test_keys_are_null_where_a_key_field_is_missing_or_empty_and_joined_with_a_bar():
    records = [
        {"MaTTHC": "1.000656", "MaDinhDanh": "000.00.12.H25"},
        {"MaTTHC": "", "MaDinhDanh": "000.00.12.H25"},
        {"MaTTHC": None, "MaDinhDanh": "000.00.12.H25"},
        {"MaDinhDanh": "000.00.12.H25"},
        {"MaTTHC": "1.000656", "MaDinhDanh": ""},
    ]
    assert [row["_record_key"] for row in landed(records, "procedures")] == [
        "1.000656|000.00.12.H25", None, None, None, None
    ]
    numeric = [{"MaDinhDanh": "000.00.00.H25", "Ky": 202507}, {"MaDinhDanh": "000.00.00.H25", "Ky": True}]
    assert [row["_record_key"] for row in landed(numeric, "report-counts")] == [
        "000.00.00.H25|202507", "000.00.00.H25|True"
    ]


def test_fields_are_the_union_in_first_seen_order_and_missing_values_are_null():
    records = [{"b": "1", "a": [1]}, {"a": [2], "c": 3}, {}]
    rows = landed(records)
    assert [name for name in rows[0] if name not in META_COLUMNS] == ["b", "a", "c"]
    assert [(r["b"], r["a"], r["c"]) for r in rows] == [("1", "[1]", None), (None, "[2]", "3"), (None, None, None)]
    assert landed([]) == []


def _value(rng: random.Random, depth: int = 0):
    choice = rng.random()
    if choice < 0.25:
        return rng.choice(["", "x", "Số 5, đường Lê Lợi", 'a"b\\c\n\x01', "\u2028é", "null", "1e-05"])
    if choice < 0.35:
        return None
    if choice < 0.45:
        return rng.choice([0, -1, 15000, 2**63 - 1, 2**64, True, False])
    if choice < 0.6:
        return rng.choice([1e-05, 1.5e-07, 100.0, 0.1, math.nan, -math.inf, 1e300, -0.0, 0.00012])
    if depth < 2 and choice < 0.8:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2:
        return {rng.choice(["a", "b", "é"]): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return "leaf"


@pytest.mark.parametrize("seed", range(6))
def test_random_pages_land_as_the_per_value_definition_says(seed):
    rng = random.Random(seed)
    names = ["MaHoSo", "Chuoi", "So", "Ds", "Tron"]
    for _ in range(40):
        uniform = rng.random() < 0.5
        records = []
        for i in range(rng.randint(0, 40)):
            fields = names if uniform else rng.sample(names, rng.randint(1, len(names)))
            record = {}
            for name in fields:
                if name == "MaHoSo":
                    record[name] = rng.choice([f"K{i}", "", None, 7])
                elif name == "Chuoi":
                    record[name] = rng.choice(["a", None, "é"]) if uniform else _value(rng)
                elif name == "So":
                    record[name] = rng.choice([1, None, 2**70 if rng.random() < 0.05 else 3])
                elif name == "Ds":
                    record[name] = [_value(rng, 1)]
                else:
                    record[name] = _value(rng)
            records.append(record)
        fields: dict[str, None] = {}
        for record in records:
            fields.update(dict.fromkeys(record))
        expected = [
            {
                **{name: as_text(record.get(name)) for name in fields},
                "_dataset": "dossiers", "_period": "2025-07", "_extracted_at": "X", "_page": 4, "_row": i,
                "_record_key": record_key(record, ("MaHoSo",)),
            }
            for i, record in enumerate(records)
        ]
        assert landed(records) == expected


def test_the_client_reads_a_body_orjson_refuses_as_json_reads_it():
    assert parse_json(b'{"total": 2, "data": [{"a": "\\u00e9"}]}') == {"total": 2, "data": [{"a": "é"}]}
    body = parse_json(b'{"data": [{"x": NaN, "y": 123456789012345678901234567890}]}')
    assert math.isnan(body["data"][0]["x"]) and body["data"][0]["y"] == 123456789012345678901234567890
    with pytest.raises(ValueError):
        parse_json(b"<html>not json</html>")
