"""A small hand-made warehouse (schema marts) following the contract, for the report's tests.

August 2025 against July 2025. Provinces: Bắc Ninh 92.83 (rank 1), Hà Nội and An Giang tied at 85.50 (rank 2, listed
by name: "Thành phố Hà Nội" before "Tỉnh An Giang" although An Giang has the smaller id), a province whose name
carries a script tag at 64.36 (rank 4, low volume and provisional), Cao Bằng not ranked (no dossiers). Ministries:
Bộ Tư pháp 81.20 (restated), Bộ Công Thương 72.00. Group points add up to the totals; criterion changes add up to
the total's change and their numerator and denominator effects add up to each change, as the contract says. Rows
of another month, of a quarter and of the portal_published source are there to be left out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

MONTH = "2025-08"
PERIOD = date(2025, 8, 1)
PREVIOUS = date(2025, 7, 1)
SCRIPT_NAME = "Tỉnh <script>alert(1)</script> Lào Cai"
GROUP_COLUMNS = ("ckmb", "tdgq", "clgq", "tttt", "mdsh", "mdhl")

DDL = """
create schema marts;
create table marts.dim_units (
    unit_id varchar, unit_name varchar, unit_type varchar, parent_unit_id varchar, administrative_code varchar,
    valid_from date, valid_to date, successor_unit_id varchar, evaluation_department_id varchar
);
create table marts.dim_criteria (
    rule_version varchar, criterion_code varchar, group_code varchar, name_vi varchar, max_points decimal(6,2),
    scoring_kind varchar, target_ratio double, zero_denominator_rule varchar, not_measured_rule varchar,
    unit_types varchar, is_inherited boolean, min_denominator integer, effective_from date, effective_to date,
    status varchar, is_active boolean
);
create table marts.fct_criterion_values (
    unit_id varchar, period_type varchar, period_start date, criterion_code varchar, group_code varchar,
    rule_version varchar, numerator double, denominator double, ratio double, points decimal(6,2),
    max_points decimal(6,2), value_state varchar, input_source varchar, ratio_ci_low double, ratio_ci_high double
);
create table marts.fct_unit_scores (
    unit_id varchar, period_type varchar, period_start date, input_source varchar, ckmb_points decimal(6,2),
    tdgq_points decimal(6,2), clgq_points decimal(6,2), tttt_points decimal(6,2), mdsh_points decimal(6,2),
    mdhl_points decimal(6,2), total_points decimal(6,2), band_code varchar
);
create table marts.rpt_rankings (
    period_type varchar, period_start date, unit_id varchar, unit_name varchar, unit_type varchar,
    peer_group varchar, peer_group_unit_id varchar, peer_group_size integer, total_points decimal(6,2),
    band_code varchar, is_ranked boolean, competition_rank integer, dense_rank integer, listing_order integer,
    dossiers_received bigint, previous_period_start date, previous_total_points decimal(6,2),
    previous_competition_rank integer, previous_basis varchar, points_change decimal(6,2), rank_change integer,
    rank_interval_low integer, rank_interval_high integer, is_rank_change_significant boolean,
    is_low_volume boolean, is_provisional boolean, is_restated boolean
);
create table marts.rpt_score_changes (
    period_type varchar, period_start date, previous_period_start date, unit_id varchar, criterion_code varchar,
    group_code varchar, previous_basis varchar, numerator double, denominator double, previous_numerator double,
    previous_denominator double, points decimal(6,2), previous_points decimal(6,2), points_change decimal(6,2),
    numerator_effect decimal(6,2), denominator_effect decimal(6,2)
);
create table marts.rpt_reconciliation (
    unit_id varchar, department_id varchar, department_name varchar, department_type varchar, unit_match varchar,
    period_type varchar, period_start date, criterion_code varchar, rule_version varchar, rule_status varchar,
    records_numerator double, records_denominator double, records_value_state varchar, portal_numerator double,
    portal_denominator double, points_from_records double, points_from_portal_inputs double,
    published_points double, records_minus_published double, portal_inputs_minus_published double,
    records_minus_portal_inputs double, is_unknown_unit boolean, records_agree_with_published boolean,
    portal_inputs_agree_with_published boolean, inputs_agree boolean
);
"""

# (criterion, group, max points, name). CKMB 6 + 12 = 18; AVG_DAYS tracks and is worth nothing.
CRITERIA = (
    ("PUBLISH_ON_TIME", "CKMB", 6, "Tỷ lệ TTHC công bố đúng hạn"),
    ("DOSSIER_SYNC", "CKMB", 12, "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG"),
    ("ON_TIME_HANDLING", "TDGQ", 20, "Tỷ lệ hồ sơ giải quyết đúng hạn"),
    ("AVG_DAYS", "TDGQ", 0, "Thời gian giải quyết trung bình"),
    ("ONLINE_SUBMISSION", "CLGQ", 12, "Tỷ lệ hồ sơ nộp trực tuyến"),
    ("ONLINE_PAYMENT", "TTTT", 10, "Tỷ lệ thanh toán trực tuyến"),
    ("DIGITISED_RESULTS", "MDSH", 22, "Tỷ lệ số hóa kết quả giải quyết"),
    ("SATISFACTION", "MDHL", 18, "Mức độ hài lòng của người dân"),
)

# unit, name, type, peer group, total, band, ranked, rank, dense, listing order, previous total, previous rank,
# rank change, interval, low volume, provisional, restated, the six group points
UNITS = (
    ("P01", "Tỉnh Bắc Ninh", "province", "provinces", "92.83", "XUAT_SAC", True, 1, 1, 1, "90.10", 2, 1, (1, 2),
     False, False, False, ("15.82", "19.45", "8.53", "10.00", "21.17", "17.86")),
    ("P02", "Tỉnh An Giang", "province", "provinces", "85.50", "TOT", True, 2, 2, 3, "80.00", 4, 2, (2, 3),
     False, False, False, ("14.50", "19.00", "10.00", "8.00", "20.00", "14.00")),
    ("P03", "Thành phố Hà Nội", "province", "provinces", "85.50", "TOT", True, 2, 2, 2, "85.50", 3, 1, (2, 3),
     False, False, False, ("16.00", "18.00", "9.00", "9.50", "18.00", "15.00")),
    ("P04", SCRIPT_NAME, "province", "provinces", "64.36", "TRUNG_BINH", True, 4, 3, 4, "93.00", 1, -3, (4, 4),
     True, True, False, ("11.83", "19.99", "6.75", "6.67", "7.55", "11.57")),
    ("P05", "Tỉnh Cao Bằng", "province", "provinces", "38.00", "YEU", False, None, None, 5, None, None, None, None,
     False, False, False, ("6.00", "10.00", "2.00", "10.00", "0.00", "10.00")),
    ("M01", "Bộ Tư pháp", "ministry", "ministries", "81.20", "TOT", True, 1, 1, 1, "80.50", 1, 0, (1, 2),
     False, False, True, ("15.00", "18.00", "8.00", "9.00", "17.20", "14.00")),
    ("M02", "Bộ Công Thương", "ministry", "ministries", "72.00", "KHA", True, 2, 2, 2, "75.00", 2, 0, (1, 2),
     False, False, False, ("12.00", "16.00", "7.00", "8.00", "15.00", "14.00")),
)

# unit, criterion, group, previous numerator/denominator, numerator/denominator, previous points, points,
# change, numerator effect, denominator effect. P04: -20.00 - 9.00 + 0.50 - 0.14 = -28.64 = 64.36 - 93.00.
SCORE_CHANGES = (
    ("P04", "ON_TIME_HANDLING", "TDGQ", 90, 100, 8, 80, "20.00", "0.00", "-20.00", "-18.00", "-2.00"),
    ("P04", "DIGITISED_RESULTS", "MDSH", 80, 100, 34, 100, "16.55", "7.55", "-9.00", "-9.00", "0.00"),
    ("P04", "PUBLISH_ON_TIME", "CKMB", 4, 6, 5, 6, "4.50", "5.00", "0.50", "0.75", "-0.25"),
    ("P04", "SATISFACTION", "MDHL", 60, 100, 59, 100, "11.71", "11.57", "-0.14", "-0.14", "0.00"),
    ("P02", "ON_TIME_HANDLING", "TDGQ", 70, 100, 95, 100, "13.50", "19.00", "5.50", "6.00", "-0.50"),
    ("M02", "SATISFACTION", "MDHL", 85, 90, 70, 90, "17.00", "14.00", "-3.00", "-3.00", "0.00"),
    ("P01", "PUBLISH_ON_TIME", "CKMB", 3, 6, 5.73, 6, "3.00", "5.73", "2.73", "2.73", "0.00"),
    ("M01", "DIGITISED_RESULTS", "MDSH", 150, 200, 160, 200, "16.50", "17.20", "0.70", "0.70", "0.00"),
)

# unit, department, name, match, criterion, records points, portal-input points, published points
RECONCILIATION = (
    ("P01", "D01", "Tỉnh Bắc Ninh", "department_id", "PUBLISH_ON_TIME", 5.00, 5.00, 5.00),
    ("P01", "D01", "Tỉnh Bắc Ninh", "department_id", "ON_TIME_HANDLING", 19.45, 19.00, 19.00),
    ("M01", None, "Bộ Tư Pháp", "name", "SATISFACTION", 14.00, 14.01, 14.01),
    (None, "D99", "Sở Thông tin lạ", "unmatched", "ONLINE_PAYMENT", None, None, 3.00),
    ("P02", "D02", "Tỉnh An Giang", "department_id", "ONLINE_SUBMISSION", 10.00, 9.50, None),
)
TOLERANCE = 0.015


def build_marts(path: Path, *, with_previous: bool = True) -> Path:
    """Write the fixture warehouse to `path`; without a previous period it is a first month."""
    con = duckdb.connect(str(path))
    try:
        con.execute(DDL)
        _insert_units_and_criteria(con)
        _insert_scores_and_rankings(con, with_previous=with_previous)
        if with_previous:
            _insert_score_changes(con)
        _insert_reconciliation(con)
    finally:
        con.close()
    return path


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"insert into marts.{table} ({', '.join(columns)}) values ({placeholders})",
        [[row[column] for column in columns] for row in rows],
    )


def _insert_units_and_criteria(con: duckdb.DuckDBPyConnection) -> None:
    _insert(con, "dim_units", [
        {"unit_id": unit[0], "unit_name": unit[1], "unit_type": unit[2], "valid_from": date(2025, 7, 1)}
        for unit in UNITS
    ])
    criteria = [
        {"rule_version": "portal-2025", "criterion_code": code, "group_code": group, "name_vi": name,
         "max_points": points, "effective_from": date(2022, 1, 1), "is_active": True}
        for code, group, points, name in CRITERIA
    ]
    # An older version of a criterion under another name: the report names criteria by the version applied.
    criteria.append({"rule_version": "portal-2021", "criterion_code": "ON_TIME_HANDLING", "group_code": "TDGQ",
                     "name_vi": "Tên cũ không còn áp dụng", "max_points": 40, "effective_from": date(2021, 1, 1),
                     "is_active": True})
    _insert(con, "dim_criteria", criteria)
    _insert(con, "fct_criterion_values", [
        {"unit_id": unit[0], "period_type": "month", "period_start": PERIOD, "criterion_code": code,
         "group_code": group, "rule_version": "portal-2025", "points": 0, "max_points": points,
         "value_state": "scored", "input_source": "records"}
        for unit in UNITS
        for code, group, points, _ in CRITERIA
    ] + [
        # The same criterion at another weight in another month: not this month's maximum.
        {"unit_id": "P01", "period_type": "month", "period_start": PREVIOUS, "criterion_code": "PUBLISH_ON_TIME",
         "group_code": "CKMB", "rule_version": "portal-2021", "points": 0, "max_points": 40,
         "value_state": "scored", "input_source": "records"},
    ])


def _insert_scores_and_rankings(con: duckdb.DuckDBPyConnection, *, with_previous: bool) -> None:
    scores, rankings = [], []
    for (unit_id, name, unit_type, peer_group, total, band, ranked, rank, dense, order, previous_total,
         previous_rank, rank_change, interval, low_volume, provisional, restated, groups) in UNITS:
        scores.append({
            "unit_id": unit_id, "period_type": "month", "period_start": PERIOD, "input_source": "records",
            **{f"{column}_points": points for column, points in zip(GROUP_COLUMNS, groups, strict=True)},
            "total_points": total, "band_code": band,
        })
        has_previous = with_previous and previous_total is not None
        rankings.append({
            "period_type": "month", "period_start": PERIOD, "unit_id": unit_id, "unit_name": name,
            "unit_type": unit_type, "peer_group": peer_group, "peer_group_unit_id": None,
            "peer_group_size": 4 if peer_group == "provinces" else 2, "total_points": total, "band_code": band,
            "is_ranked": ranked, "competition_rank": rank, "dense_rank": dense, "listing_order": order,
            "dossiers_received": 1200 if ranked else 0,
            "previous_period_start": PREVIOUS if has_previous else None,
            "previous_total_points": previous_total if has_previous else None,
            "previous_competition_rank": previous_rank if has_previous else None,
            "previous_basis": ("predecessors" if unit_id == "P01" else "same_unit") if has_previous else None,
            "points_change": f"{float(total) - float(previous_total):.2f}" if has_previous else None,
            "rank_change": rank_change if has_previous else None,
            "rank_interval_low": interval[0] if interval else None,
            "rank_interval_high": interval[1] if interval else None,
            "is_rank_change_significant": (rank_change not in (None, 0) and abs(rank_change) > 1)
            if has_previous else None,
            "is_low_volume": low_volume, "is_provisional": provisional,
            "is_restated": restated,
        })
    # The portal's own scoring of Bắc Ninh: another source, not shown in the rankings.
    scores.append({
        "unit_id": "P01", "period_type": "month", "period_start": PERIOD, "input_source": "portal_published",
        **{f"{column}_points": "3.33" for column in GROUP_COLUMNS}, "total_points": "19.98", "band_code": "YEU",
    })
    # Another month and a quarter, to be left out.
    for period_type, period_start, name in (("month", PREVIOUS, "Tỉnh Kỳ Trước"), ("quarter", PERIOD, "Tỉnh Theo Quý")):
        rankings.append({**rankings[0], "period_type": period_type, "period_start": period_start, "unit_id": "PX",
                         "unit_name": name})
    _insert(con, "fct_unit_scores", scores)
    con.execute(
        "create schema if not exists intermediate; create table intermediate.int_period_evaluation_times "
        "(period_type varchar, period_start date, source_extracted_at timestamp)"
    )
    con.execute(
        "insert into intermediate.int_period_evaluation_times values "
        "('month', ?, timestamp '2025-09-03 08:30:00'), ('month', ?, timestamp '2025-10-01 09:00:00')",
        [PERIOD, PREVIOUS],
    )
    _insert(con, "rpt_rankings", rankings)


def _insert_score_changes(con: duckdb.DuckDBPyConnection) -> None:
    _insert(con, "rpt_score_changes", [
        {"period_type": "month", "period_start": PERIOD, "previous_period_start": PREVIOUS, "unit_id": unit_id,
         "criterion_code": code, "group_code": group, "previous_basis": "same_unit",
         "previous_numerator": previous_numerator, "previous_denominator": previous_denominator,
         "numerator": numerator, "denominator": denominator, "previous_points": previous_points,
         "points": points, "points_change": change, "numerator_effect": numerator_effect,
         "denominator_effect": denominator_effect}
        for (unit_id, code, group, previous_numerator, previous_denominator, numerator, denominator,
             previous_points, points, change, numerator_effect, denominator_effect) in SCORE_CHANGES
    ])


def _insert_reconciliation(con: duckdb.DuckDBPyConnection) -> None:
    rows = []
    for unit_id, department_id, name, match, code, records, portal_inputs, published in RECONCILIATION:
        rows.append({
            "unit_id": unit_id, "department_id": department_id, "department_name": name, "unit_match": match,
            "period_type": "month", "period_start": PERIOD, "criterion_code": code,
            "points_from_records": records, "points_from_portal_inputs": portal_inputs,
            "published_points": published,
            "records_minus_published": _difference(records, published),
            "portal_inputs_minus_published": _difference(portal_inputs, published),
            "records_minus_portal_inputs": _difference(records, portal_inputs),
            "is_unknown_unit": match == "unmatched",
            "records_agree_with_published": _agree(records, published),
            "portal_inputs_agree_with_published": _agree(portal_inputs, published),
        })
    # A large difference in another month must not reach this month's summary.
    rows.append({**rows[0], "period_start": PREVIOUS, "points_from_records": 0.0,
                 "records_minus_published": -5.0, "records_agree_with_published": False})
    _insert(con, "rpt_reconciliation", rows)


def _difference(left: float | None, right: float | None) -> float | None:
    return None if left is None or right is None else round(left - right, 4)


def _agree(left: float | None, right: float | None) -> bool | None:
    difference = _difference(left, right)
    return None if difference is None else abs(difference) <= TOLERANCE
