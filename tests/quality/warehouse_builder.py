"""A small hand-made warehouse that passes the gate, for fault injection.

Months 2025-04 to 2025-07 (the gate judges 2025-07, the first month with 34 provinces). Staging tables are
created from the staging_schema suite (so their columns and types are the contract), with rows whose dates lie
inside DATE_BOUNDS; marts hold three ministries (and one that ended in February), a ministry unit, 63 provinces
until June and 34 from July, and four communes of province N01 with totals 80, 70, 70 and 60 (competition ranks
1, 2, 2, 4). Two anomalies are planted: ministry M01's total rises by 20 points from June to July, and ministry
unit MU1 receives 150 dossiers in July against 40 in June (×3.75); every other unit receives 40 a month.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from orchestration.quality.definitions import load_suite_json
from orchestration.quality.periods import Month
from orchestration.quality.staging_batches import DATE_BOUNDS, QUARANTINED_DATASETS
from tests.quality.contract_marts import add_contract_marts

MONTHS = ["2025-04", "2025-05", "2025-06", "2025-07"]
GATE_MONTH = "2025-07"
GROUP_MAX = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDSH": 22, "MDHL": 18}
ROWS_PER_TABLE = 20
RAW_ROWS = 100
DOSSIERS_PER_UNIT = 40
COMMUNE_TOTALS = {"C1": 80.0, "C2": 70.0, "C3": 70.0, "C4": 60.0}
MERGER = date(2025, 7, 1)
DATASET_LIST = "[" + ", ".join(f"'{d}'" for d in QUARANTINED_DATASETS) + "]"


def staging_schema() -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, type)]} from the staging_schema suite's expected signatures."""
    suite = load_suite_json("staging_schema")
    signatures = suite["expectations"][0]["kwargs"]["value_set"]
    tables: dict[str, list[tuple[str, str]]] = {}
    for signature in signatures:
        name, data_type = signature.split(" ", 1)
        table, column = name.split(".", 1)
        tables.setdefault(table, []).append((column, data_type))
    return tables


def units() -> list[dict]:
    """dim_units rows."""
    rows = [
        {"unit_id": f"M0{i}", "unit_name": f"Bộ số {i}", "unit_type": "ministry", "parent_unit_id": None,
         "valid_from": date(2022, 1, 1), "valid_to": None}
        for i in (1, 2, 3)
    ]
    rows.append({"unit_id": "M04", "unit_name": "Bộ đã sáp nhập", "unit_type": "ministry", "parent_unit_id": None,
                 "valid_from": date(2022, 1, 1), "valid_to": date(2025, 2, 28)})
    rows.append({"unit_id": "MU1", "unit_name": "Cục số 1", "unit_type": "ministry_unit", "parent_unit_id": "M01",
                 "valid_from": date(2022, 1, 1), "valid_to": None})
    rows += [
        {"unit_id": f"O{i:02d}", "unit_name": f"Tỉnh cũ {i}", "unit_type": "province", "parent_unit_id": None,
         "valid_from": date(2022, 1, 1), "valid_to": date(2025, 6, 30)}
        for i in range(1, 64)
    ]
    rows += [
        {"unit_id": f"N{i:02d}", "unit_name": f"Tỉnh mới {i}", "unit_type": "province", "parent_unit_id": None,
         "valid_from": MERGER, "valid_to": None}
        for i in range(1, 35)
    ]
    rows += [
        {"unit_id": c, "unit_name": f"Xã {c}", "unit_type": "commune_people_committee", "parent_unit_id": "N01",
         "valid_from": MERGER, "valid_to": None}
        for c in COMMUNE_TOTALS
    ]
    return rows


def in_force(unit: dict, month: Month) -> bool:
    return unit["valid_from"] < month.next_start and (unit["valid_to"] is None or unit["valid_to"] >= month.start)


def total_for(unit_id: str, index: int, month: Month) -> float:
    if unit_id in COMMUNE_TOTALS:
        return COMMUNE_TOTALS[unit_id]
    if unit_id == "M01":
        return 70.0 if month.label == GATE_MONTH else 50.0
    return 40.0 + (index * 7) % 50 + month.start.month * 0.25


def group_points(total: float) -> dict[str, float]:
    """Group points proportional to their maximum; the total is their sum (as the marts compute it)."""
    return {group: round(maximum * total / 100, 2) for group, maximum in GROUP_MAX.items()}


def build_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        _build_staging(con)
        _build_marts(con)
        add_contract_marts(con)
    finally:
        con.close()
    return path


def _sql_value(column: str, data_type: str, table: str, month: Month) -> str:
    """A SQL expression over `i` (0..n-1) giving a plausible value of the column in `month`'s rows."""
    bounded = {(b.table, b.column) for b in DATE_BOUNDS}
    inside = f"(date '{month.start}' + interval 1 day)"
    if column == "period":
        return f"'{month.label}'"
    if column == "extracted_at":
        return f"'{month.next_start:%Y%m%d}T030000000000Z'"
    if (table, column) in bounded:
        return f"cast({inside} + i * interval 1 second as {data_type})"
    if data_type.startswith("TIMESTAMP"):
        return f"cast(current_timestamp as {data_type})"
    if data_type == "DATE":
        return f"cast({inside} as date)"
    if data_type in ("INTEGER", "BIGINT"):
        return f"cast(i + 1 as {data_type})"
    if data_type.startswith("DECIMAL") or data_type == "DOUBLE":
        return f"cast(1 as {data_type})"
    if data_type == "BOOLEAN":
        return "true"
    if data_type.startswith("STRUCT(") and data_type.endswith("[]"):  # a dossier's nested list: none here
        return f"cast([] as {data_type})"
    if data_type.endswith("[]"):
        return "['x']"
    if column == "dataset":
        return f"({DATASET_LIST})[i % {len(QUARANTINED_DATASETS)} + 1]"
    return f"'{column}-' || i"


def _build_staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema staging")
    for table, columns in staging_schema().items():
        con.execute(f"create table staging.{table} ({', '.join(f'{c} {t}' for c, t in columns)})")
        if table == "stg_portal__dossiers":
            continue
        for label in MONTHS:
            month = Month(label)
            rows = len(QUARANTINED_DATASETS) if table == "stg_portal__quarantine" else ROWS_PER_TABLE
            values = ", ".join(_sql_value(c, t, table, month) for c, t in columns)
            con.execute(f"insert into staging.{table} select {values} from range({rows}) r(i)")
    _insert_dossiers(con)
    for dataset in QUARANTINED_DATASETS:
        con.execute(f"create table staging.base_portal__{dataset} (period varchar, record_key varchar)")
        for label in MONTHS:
            con.execute(f"insert into staging.base_portal__{dataset} select '{label}', 'k' || i from range({RAW_ROWS}) r(i)")


def _insert_dossiers(con: duckdb.DuckDBPyConnection) -> None:
    columns = staging_schema()["stg_portal__dossiers"]
    for label in MONTHS:
        month = Month(label)
        for unit in units():
            if not in_force(unit, month):
                continue
            count = 150 if unit["unit_id"] == "MU1" and label == GATE_MONTH else DOSSIERS_PER_UNIT
            values = []
            for column, data_type in columns:
                if column == "dossier_id":
                    values.append(f"'{unit['unit_id']}-{label}-' || i")
                elif column == "unit_id":
                    values.append(f"'{unit['unit_id']}'")
                else:
                    values.append(_sql_value(column, data_type, "stg_portal__dossiers", month))
            con.execute(f"insert into staging.stg_portal__dossiers select {', '.join(values)} from range({count}) r(i)")


def _build_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute("""
        create table marts.dim_units (unit_id varchar, unit_name varchar, unit_type varchar, parent_unit_id varchar,
            administrative_code varchar, valid_from date, valid_to date, successor_unit_id varchar,
            evaluation_department_id varchar)
    """)
    all_units = units()
    con.executemany(
        "insert into marts.dim_units values (?, ?, ?, ?, null, ?, ?, null, null)",
        [[u["unit_id"], u["unit_name"], u["unit_type"], u["parent_unit_id"], u["valid_from"], u["valid_to"]] for u in all_units],
    )
    con.execute("""
        create table marts.fct_unit_scores (unit_id varchar, period_type varchar, period_start date,
            input_source varchar, ckmb_points decimal(6,2), tdgq_points decimal(6,2), clgq_points decimal(6,2),
            tttt_points decimal(6,2), mdsh_points decimal(6,2), mdhl_points decimal(6,2), total_points decimal(6,2),
            band_code varchar)
    """)
    con.execute("""
        create table marts.fct_criterion_values (unit_id varchar, period_type varchar, period_start date,
            criterion_code varchar, group_code varchar, rule_version varchar, numerator double, denominator double,
            ratio double, points decimal(6,2), max_points decimal(6,2), value_state varchar, input_source varchar)
    """)
    scores, criteria = [], []
    for label in MONTHS:
        month = Month(label)
        periods = [("month", month.start, ("records", "portal_published"))]
        if label == GATE_MONTH:
            periods += [("quarter", month.quarter_start, ("records",)), ("year", month.year_start, ("records",))]
        for index, unit in enumerate(all_units):
            if not in_force(unit, month):
                continue
            points = group_points(total_for(unit["unit_id"], index, month))
            total = round(sum(points.values()), 2)
            for period_type, start, sources in periods:
                for source in sources:
                    scores.append([unit["unit_id"], period_type, start, source, *points.values(), total, "KHA"])
                    criteria += [
                        [unit["unit_id"], period_type, start, f"{group}_1", group, "v1", 1.0, 1.0, 1.0, p,
                         GROUP_MAX[group], "scored", source]
                        for group, p in points.items()
                    ]
    con.executemany("insert into marts.fct_unit_scores values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", scores)
    con.executemany("insert into marts.fct_criterion_values values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", criteria)
