"""A small warehouse holding every published mart, built from a raw landing zone, for the publication tests.

July 2025 (the month published) has three ranked units: Hà Nội 15.00 (provinces, rank 1), Hồ Chí Minh 14.00
(rank 2) and Bộ Tư pháp 12.00 (ministries, rank 1). `restated=True` is the portal's restatement: Hồ Chí Minh's
on-time numerator 80 → 95 of 100, so its ON_TIME_RATE points 8.00 → 9.50, its total 14.00 → 15.50, and it
overtakes Hà Nội (ranks 2 → 1 and 1 → 2). June and quarter rows are there to be filtered out.
`dossiers_received` is counted from the raw dossiers, so the warehouse really is a function of the raw files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tests.fixtures.raw_builder import write_raw

MONTH = "2025-07"
HN, HCM, BTP = "000.00.00.H26", "000.00.00.H29", "000.00.00.G12"
SO_TP, PHUONG = "000.12.00.H26", "000.00.01.H26"
UNIT_NAMES = {
    HN: "Thành phố Hà Nội",
    HCM: "Thành phố Hồ Chí Minh",
    BTP: "Bộ Tư pháp",
    SO_TP: "Sở Tư pháp thành phố Hà Nội",
    PHUONG: "Ủy ban nhân dân phường Ba Đình",
}
EXTRACTED_AT = "20250805T010000000000Z"
RAW_DOSSIERS = [
    # Personal data lives in raw only; it must never reach a release.
    {"MaHoSo": "H26.1", "MaDinhDanh": HN, "ChuHoSo": "Nguyễn Văn An", "SoDienThoai": "0912345678"},
    {"MaHoSo": "H26.2", "MaDinhDanh": HN, "ChuHoSo": "Trần Thị Bình", "SoDienThoai": "0987654321"},
    {"MaHoSo": "H29.1", "MaDinhDanh": HCM, "ChuHoSo": "Lê Văn Cường", "SoDienThoai": "0909000111"},
    {"MaHoSo": "G12.1", "MaDinhDanh": BTP, "ChuHoSo": "Phạm Thị Dung", "SoDienThoai": "0933222111"},
]


def write_raw_zone(home: Path) -> list[Path]:
    """Land the month's dossiers under `home/raw`; return the files (part and manifest) a release names."""
    folder = write_raw(home, "dossiers", MONTH, EXTRACTED_AT, RAW_DOSSIERS, ["MaHoSo"])
    return sorted(p for p in folder.iterdir() if p.is_file())


def dossiers_received(raw_dir: Path) -> Counter:
    counts: Counter = Counter()
    for part in sorted(raw_dir.glob(f"dossiers/period={MONTH}/extracted_at=*/part-*.parquet")):
        counts.update(pq.read_table(part, columns=["MaDinhDanh"]).column("MaDinhDanh").to_pylist())
    return counts


def _points(numerator: float, denominator: float, max_points: float) -> float:
    return round(max_points * numerator / denominator, 2)


def build_warehouse(
    raw_dir: Path, path: Path, *, restated: bool = False, extra_sql: Sequence[str] = ()
) -> Path:
    """Write a new DuckDB warehouse at `path` with schema `marts` (see the module docstring)."""
    received = dossiers_received(raw_dir)
    hcm_on_time = 95 if restated else 80
    # unit, source, period_type, period_start, criterion, group, rule version, numerator, denominator
    inputs = [
        (HN, "records", "month", "2025-07-01", "ONLINE_PAYMENT_RATE", "TTTT", "2025.07", 60, 100),
        (HN, "records", "month", "2025-07-01", "ON_TIME_RATE", "TDGQ", "2025.07", 90, 100),
        (HCM, "records", "month", "2025-07-01", "ONLINE_PAYMENT_RATE", "TTTT", "2025.07", 60, 100),
        (HCM, "records", "month", "2025-07-01", "ON_TIME_RATE", "TDGQ", "2025.07", hcm_on_time, 100),
        (BTP, "records", "month", "2025-07-01", "ONLINE_PAYMENT_RATE", "TTTT", "2025.07", 50, 100),
        (BTP, "records", "month", "2025-07-01", "ON_TIME_RATE", "TDGQ", "2025.07", 70, 100),
        (HN, "portal_published", "month", "2025-07-01", "ONLINE_PAYMENT_RATE", "TTTT", "2025.07", 60, 100),
        (HN, "portal_published", "month", "2025-07-01", "ON_TIME_RATE", "TDGQ", "2025.07", 88, 100),
        (HN, "records", "month", "2025-06-01", "ONLINE_PAYMENT_RATE", "TTTT", "2024.01", 70, 100),
        (HN, "records", "quarter", "2025-07-01", "ONLINE_PAYMENT_RATE", "TTTT", "2025.07", 65, 100),
    ]
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute(
            """create table marts.dim_units (unit_id varchar, unit_name varchar, unit_type varchar,
            parent_unit_id varchar, administrative_code varchar, valid_from date, valid_to date,
            successor_unit_id varchar, evaluation_department_id varchar)"""
        )
        con.executemany(
            "insert into marts.dim_units values (?, ?, ?, ?, ?, date '2025-07-01', null, null, ?)",
            [
                (HN, UNIT_NAMES[HN], "province", None, "01", "H26"),
                (HCM, UNIT_NAMES[HCM], "province", None, "79", "H29"),
                (BTP, UNIT_NAMES[BTP], "ministry", None, None, "G12"),
                (SO_TP, UNIT_NAMES[SO_TP], "provincial_department", HN, None, None),
                (PHUONG, UNIT_NAMES[PHUONG], "commune_people_committee", HN, "00004", None),
            ],
        )
        con.execute(
            """create table marts.dim_criteria (rule_version varchar, criterion_code varchar,
            group_code varchar, name_vi varchar, max_points decimal(6,2))"""
        )
        con.executemany(
            "insert into marts.dim_criteria values (?, ?, ?, ?, 10)",
            [
                (version, code, group, name)
                for version in ("2024.01", "2025.07")
                for code, group, name in (
                    ("ONLINE_PAYMENT_RATE", "TTTT", "Tỷ lệ thanh toán trực tuyến"),
                    ("ON_TIME_RATE", "TDGQ", "Tỷ lệ hồ sơ giải quyết đúng hạn"),
                )
            ],
        )
        con.execute(
            """create table marts.fct_criterion_values (unit_id varchar, period_type varchar,
            period_start date, criterion_code varchar, group_code varchar, rule_version varchar,
            numerator double, denominator double, ratio double, points decimal(6,2), max_points decimal(6,2),
            value_state varchar, input_source varchar)"""
        )
        con.executemany(
            "insert into marts.fct_criterion_values values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 10, 'scored', ?)",
            [
                (u, pt, ps, c, g, rv, n, d, n / d, _points(n, d, 10), src)
                for u, src, pt, ps, c, g, rv, n, d in inputs
            ],
        )
        con.execute(
            """create table marts.fct_unit_scores as
            select unit_id, period_type, period_start, input_source,
                sum(points) filter (where group_code = 'TTTT')::decimal(6,2) as tttt_points,
                sum(points) filter (where group_code = 'TDGQ')::decimal(6,2) as tdgq_points,
                sum(points)::decimal(6,2) as total_points,
                case when sum(points) >= 90 then 'XUAT_SAC' when sum(points) >= 50 then 'TRUNG_BINH'
                    else 'YEU' end as band_code
            from marts.fct_criterion_values
            group by all"""
        )
        con.execute(
            """create table marts.rpt_rankings as
            with scores as (
                select s.*, u.unit_name, u.unit_type,
                    case u.unit_type when 'ministry' then 'ministries' else 'provinces' end as peer_group
                from marts.fct_unit_scores as s join marts.dim_units as u using (unit_id)
                where s.input_source = 'records' and s.period_type = 'month'
            )
            select period_type, period_start, unit_id, unit_name, unit_type, peer_group,
                null::varchar as peer_group_unit_id,
                count(*) over (partition by period_start, peer_group)::integer as peer_group_size,
                total_points, band_code, true as is_ranked,
                rank() over (partition by period_start, peer_group order by total_points desc)::integer
                    as competition_rank,
                0::bigint as dossiers_received,
                false as is_restated
            from scores"""
        )
        con.executemany(
            "update marts.rpt_rankings set dossiers_received = ? where unit_id = ?",
            [(n, unit) for unit, n in sorted(received.items())],
        )
        con.execute(
            """create table marts.rpt_score_changes as
            select 'month' as period_type, date '2025-07-01' as period_start,
                date '2025-06-01' as previous_period_start, cur.unit_id, cur.criterion_code, cur.group_code,
                'same_unit' as previous_basis, cur.numerator, cur.denominator,
                prev.numerator as previous_numerator, prev.denominator as previous_denominator,
                cur.points, prev.points as previous_points,
                (cur.points - coalesce(prev.points, 0))::decimal(6,2) as points_change
            from marts.fct_criterion_values as cur
            left join marts.fct_criterion_values as prev
                on prev.unit_id = cur.unit_id and prev.criterion_code = cur.criterion_code
                and prev.period_type = 'month' and prev.period_start = date '2025-06-01'
                and prev.input_source = 'records'
            where cur.unit_id = ? and cur.period_type = 'month' and cur.period_start = date '2025-07-01'
                and cur.input_source = 'records'""",
            [HN],
        )
        con.execute(
            """create table marts.rpt_reconciliation as
            select r.unit_id, 'H26' as department_id, 'Thành phố Hà Nội' as department_name, r.period_type,
                r.period_start, r.criterion_code, r.points as points_from_records, p.points as published_points,
                (r.points - p.points)::decimal(6,2) as records_minus_published
            from marts.fct_criterion_values as r
            join marts.fct_criterion_values as p using (unit_id, period_type, period_start, criterion_code)
            where r.input_source = 'records' and p.input_source = 'portal_published'
            union all
            select null, 'X99', 'Sở Kế hoạch và Đầu tư (không rõ)', 'month', date '2025-07-01', 'ON_TIME_RATE',
                null, 7.5, null
            union all
            select null, 'X99', 'Sở Kế hoạch và Đầu tư (không rõ)', 'month', date '2025-06-01', 'ON_TIME_RATE',
                null, 7.0, null"""
        )
        for sql in extra_sql:
            con.execute(sql)
        con.execute("checkpoint")
    finally:
        con.close()
    return path
