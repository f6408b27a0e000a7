"""The month's report page (report.html): rankings, movers, reconciliation and data quality, in Vietnamese.

The page is read by people outside the project, from a release folder, often offline: everything it needs (styles
and SVG charts) is inside the one file, and it is rendered with autoescaping so that a unit name from the portal
can never become markup. It reads only the published marts through a read-only DuckDB connection, and is
deterministic for a given warehouse and quality summary (no clock), so that a release reproduces bit for bit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment
from markupsafe import Markup

from orchestration.html_pages import page_environment
from orchestration.publication import charts

LOCALE = "vi_VN"
TEMPLATE = "report.html.j2"
# Labels only: the points each group is worth are read from the month's criterion values.
GROUPS: tuple[tuple[str, str], ...] = (
    ("CKMB", "Công khai, minh bạch"),
    ("TDGQ", "Tiến độ giải quyết"),
    ("CLGQ", "Dịch vụ công trực tuyến"),
    ("TTTT", "Thanh toán trực tuyến"),
    ("MDSH", "Số hóa hồ sơ"),
    ("MDHL", "Mức độ hài lòng"),
)
BAND_NAMES = {
    "XUAT_SAC": "Xuất sắc",
    "TOT": "Tốt",
    "KHA": "Khá",
    "TRUNG_BINH": "Trung bình",
    "YEU": "Yếu",
}
BAND_COLOURS = {
    "XUAT_SAC": "#1b7837",
    "TOT": "#5aae61",
    "KHA": "#e6ab02",
    "TRUNG_BINH": "#e66101",
    "YEU": "#c0392b",
}
UNKNOWN_BAND_COLOUR = "#9aa5b1"
# (peer group, short title, what "Xếp hạng ..." ranks)
PEER_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("provinces", "Tỉnh, thành phố", "các tỉnh, thành phố trực thuộc Trung ương"),
    ("ministries", "Bộ, ngành", "các bộ, ngành"),
)
FLAG_LABELS = {
    "not_ranked": "Chưa xếp hạng",
    "low_volume": "Ít hồ sơ",
    "provisional": "Tạm tính",
    "restated": "Đã điều chỉnh",
}
MOVERS_SHOWN = 10
CRITERIA_PER_MOVER = 3


@dataclass(frozen=True)
class QualityCheck:
    """A check of the month's run, as the quality gate reports it."""

    name: str
    passed: bool
    details: str = ""


@dataclass(frozen=True)
class Anomaly:
    """A measure of a unit that moved unusually from the previous period (e.g. dossiers received)."""

    unit: str
    measure: str
    previous: float | None
    current: float | None

    @property
    def relative_change(self) -> float | None:
        if self.previous in (None, 0) or self.current is None:
            return None
        return (self.current - self.previous) / abs(self.previous)


@dataclass(frozen=True)
class QuarantineCount:
    """Rows of a dataset set aside in quarantine for one reason code."""

    dataset: str
    reason: str
    rows: int


@dataclass(frozen=True)
class QualitySummary:
    """What the caller's quality gate found for the month; the report shows it as data-quality notes."""

    checks: Sequence[QualityCheck] = ()
    anomalies: Sequence[Anomaly] = ()
    quarantine: Sequence[QuarantineCount] = ()

    @property
    def failed_checks(self) -> list[QualityCheck]:
        return [check for check in self.checks if not check.passed]

    @property
    def quarantined_rows(self) -> int:
        return sum(count.rows for count in self.quarantine)


@dataclass(frozen=True)
class RankingLine:
    """One unit's line of a ranking table, in the ranking's listing order."""

    unit_id: str
    unit_name: str
    rank: int | None
    total: Decimal | None
    band_code: str | None
    previous_rank: int | None
    previous_total: Decimal | None
    rank_change: int | None
    points_change: Decimal | None
    is_rank_change_significant: bool | None
    previous_from_predecessors: bool
    rank_interval: tuple[int, int] | None
    group_points: tuple[Decimal | None, ...]
    flags: tuple[str, ...]

    @property
    def band_name(self) -> str:
        return BAND_NAMES.get(self.band_code or "", self.band_code or "—")

    @property
    def band_colour(self) -> str:
        return BAND_COLOURS.get(self.band_code or "", UNKNOWN_BAND_COLOUR)


@dataclass(frozen=True)
class PeerRanking:
    peer_group: str
    title: str
    heading: str
    lines: list[RankingLine]

    @property
    def ranked(self) -> list[RankingLine]:
        return [line for line in self.lines if line.rank is not None]

    def band_counts(self) -> list[tuple[str, str, int]]:
        """(name, colour, count) of each band among the ranked units, best band first."""
        return [
            (name, BAND_COLOURS[code], sum(1 for line in self.ranked if line.band_code == code))
            for code, name in BAND_NAMES.items()
        ]


@dataclass(frozen=True)
class CriterionChange:
    criterion_code: str
    criterion_name: str
    group_code: str
    previous_points: Decimal | None
    points: Decimal | None
    points_change: Decimal
    numerator_effect: Decimal | None
    denominator_effect: Decimal | None
    previous_numerator: float | None
    previous_denominator: float | None
    numerator: float | None
    denominator: float | None


@dataclass(frozen=True)
class Mover:
    peer_title: str
    line: RankingLine
    criteria: list[CriterionChange]


@dataclass(frozen=True)
class Reconciliation:
    row_count: int
    compared: int
    agreeing: int
    max_abs_records_minus_published: float | None
    portal_inputs_compared: int
    portal_inputs_agreeing: int
    max_abs_portal_inputs_minus_published: float | None
    name_matched_units: int
    unmatched_units: list[str]

    @property
    def agreeing_share(self) -> float | None:
        return self.agreeing / self.compared if self.compared else None

    @property
    def portal_inputs_agreeing_share(self) -> float | None:
        return self.portal_inputs_agreeing / self.portal_inputs_compared if self.portal_inputs_compared else None


def render_report(con: duckdb.DuckDBPyConnection, month: str, quality: QualitySummary) -> str:
    """The HTML of report.html for `month` (YYYY-MM), from the marts behind `con` and the caller's quality summary."""
    period_start = month_start(month)
    group_max = _load_group_max(con, period_start)
    rankings = [
        PeerRanking(peer_group, title, heading, _load_ranking(con, period_start, peer_group))
        for peer_group, title, heading in PEER_GROUPS
    ]
    movers = _movers(con, period_start, rankings)
    context = {
        "title": f"Bộ chỉ số phục vụ người dân, doanh nghiệp — tháng {period_start:%m/%Y}",
        "period_start": period_start,
        "period_end": _month_end(period_start),
        "previous_period_start": _load_previous_period_start(con, period_start),
        "extracted_at": _load_extracted_at(con, period_start),
        "ranked_source": load_ranked_source(con, period_start),
        "groups": [(code, name, group_max.get(code)) for code, name in GROUPS],
        "rankings": rankings,
        "movers": movers,
        "reconciliation": _load_reconciliation(con, period_start),
        "quality": quality,
        "flag_labels": FLAG_LABELS,
        "ranking_chart": _ranking_chart(rankings[0], group_max),
        "heatmap_chart": _heatmap_chart(rankings, group_max),
        "movers_chart": _movers_chart(movers),
    }
    return _environment().get_template(TEMPLATE).render(**context)


def write_report(con: duckdb.DuckDBPyConnection, month: str, quality: QualitySummary, destination: Path) -> Path:
    """Render the month's report into `destination` (the release's report.html) as UTF-8 and return its path."""
    destination.write_text(render_report(con, month, quality), encoding="utf-8")
    return destination


def month_start(month: str) -> date:
    """The first day of a YYYY-MM month; a clear error for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return date(int(match[1]), int(match[2]), 1)


def format_number(value: Decimal | float | None, decimals: int = 2) -> str:
    """Points as the Vietnamese write them: decimal comma, dot between thousands (89,90; 1.234,50)."""
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=LOCALE)


def format_signed(value: Decimal | float | None, decimals: int = 2) -> str:
    """A change with its sign, +2,73 or -1,25 (0,00 has none)."""
    if value is None:
        return "—"
    text = format_number(abs(value), decimals)
    return text if value == 0 else ("+" if value > 0 else "-") + text


def format_count(value: Decimal | float | int | None) -> str:
    """Counts and raw measures: thousands separated, up to three decimals only where there are some."""
    return "—" if value is None else format_decimal(value, locale=LOCALE)


def format_share(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * decimals + "%" if decimals else "#,##0%"
    return format_percent(value, format=pattern, locale=LOCALE)


def _format_date(value: date | None) -> str:
    return "—" if value is None else f"{value:%d/%m/%Y}"


def _format_datetime(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%d/%m/%Y %H:%M}"


@cache
def _environment() -> Environment:
    return page_environment(
        "orchestration.publication",
        num=format_number,
        signed=format_signed,
        qty=format_count,
        share=format_share,
        vdate=_format_date,
        vdatetime=_format_datetime,
    )


def _records(con: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _month_end(period_start: date) -> date:
    following = date(period_start.year + period_start.month // 12, period_start.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _load_previous_period_start(con: duckdb.DuckDBPyConnection, period_start: date) -> date | None:
    """The period the month is compared with; None in a first month, which has nothing to compare with."""
    return con.execute(
        """
        select max(previous_period_start) from marts.rpt_rankings
        where period_type = 'month' and period_start = ?
        """,
        [period_start],
    ).fetchall()[0][0]


def load_ranked_source(con: duckdb.DuckDBPyConnection, period_start: date) -> str:
    """'records' when the month was scored from the record feeds, 'evaluation' when only from the portal's
    published evaluation (a run with --source evaluation): the ranking's source (macros/ranked_sources.sql)."""
    sources = {
        source
        for (source,) in con.execute(
            "select distinct input_source from marts.fct_unit_scores where period_type = 'month' and period_start = ?",
            [period_start],
        ).fetchall()
    }
    return "evaluation" if "records" not in sources and "portal_published" in sources else "records"


def _load_extracted_at(con: duckdb.DuckDBPyConnection, period_start: date) -> datetime | None:
    """When the month's records were extracted (Vietnam time), from the warehouse's period clock; None when the
    connection has no intermediate schema (a published.duckdb holds the marts only)."""
    try:
        return con.execute(
            "select max(source_extracted_at) from intermediate.int_period_evaluation_times "
            "where period_type = 'month' and period_start = ?",
            [period_start],
        ).fetchall()[0][0]
    except duckdb.CatalogException:
        return None


def _load_group_max(con: duckdb.DuckDBPyConnection, period_start: date) -> dict[str, Decimal]:
    """Points each group is worth this month: the sum of its criteria's maxima under the rule version applied."""
    rows = con.execute(
        """
        with criteria as (
            select group_code, criterion_code, max(max_points) as max_points
            from marts.fct_criterion_values
            where period_type = 'month' and period_start = ? and input_source = 'records'
            group by group_code, criterion_code
        )
        select group_code, sum(max_points) from criteria group by group_code
        """,
        [period_start],
    ).fetchall()
    return {group_code: Decimal(max_points) for group_code, max_points in rows}


def _load_ranking(con: duckdb.DuckDBPyConnection, period_start: date, peer_group: str) -> list[RankingLine]:
    rows = _records(
        con,
        """
        select
            rankings.*,
            scores.ckmb_points,
            scores.tdgq_points,
            scores.clgq_points,
            scores.tttt_points,
            scores.mdsh_points,
            scores.mdhl_points
        from marts.rpt_rankings as rankings
        left join marts.fct_unit_scores as scores
            on scores.unit_id = rankings.unit_id
            and scores.period_type = rankings.period_type
            and scores.period_start = rankings.period_start
            and scores.input_source = 'records'
        where rankings.period_type = 'month' and rankings.period_start = ? and rankings.peer_group = ?
        order by rankings.listing_order, rankings.unit_name
        """,
        [period_start, peer_group],
    )
    return [_ranking_line(row) for row in rows]


def _ranking_line(row: Mapping[str, Any]) -> RankingLine:
    flags = [
        name
        for name, raised in (
            ("not_ranked", not row["is_ranked"]),
            ("low_volume", row["is_low_volume"]),
            ("provisional", row["is_provisional"]),
            ("restated", row["is_restated"]),
        )
        if raised
    ]
    interval = None
    if row["rank_interval_low"] is not None and row["rank_interval_high"] is not None:
        interval = (row["rank_interval_low"], row["rank_interval_high"])
    return RankingLine(
        unit_id=row["unit_id"],
        unit_name=row["unit_name"],
        rank=row["competition_rank"] if row["is_ranked"] else None,
        total=row["total_points"],
        band_code=row["band_code"],
        previous_rank=row["previous_competition_rank"],
        previous_total=row["previous_total_points"],
        rank_change=row["rank_change"],
        points_change=row["points_change"],
        is_rank_change_significant=row["is_rank_change_significant"],
        previous_from_predecessors=row["previous_basis"] == "predecessors",
        rank_interval=interval,
        group_points=tuple(row[f"{code.lower()}_points"] for code, _ in GROUPS),
        flags=tuple(flags),
    )


def _movers(con: duckdb.DuckDBPyConnection, period_start: date, rankings: Sequence[PeerRanking]) -> list[Mover]:
    """The units whose total moved most (either way), with the criteria that moved them most."""
    candidates = [
        (ranking.title, line)
        for ranking in rankings
        for line in ranking.lines
        if line.points_change is not None and line.points_change != 0
    ]
    candidates.sort(key=lambda candidate: (-abs(candidate[1].points_change), candidate[1].unit_name))
    chosen = candidates[:MOVERS_SHOWN]
    criteria = _load_criterion_changes(con, period_start, [line.unit_id for _, line in chosen])
    return [Mover(title, line, criteria.get(line.unit_id, [])) for title, line in chosen]


def _load_criterion_changes(
    con: duckdb.DuckDBPyConnection, period_start: date, unit_ids: Sequence[str]
) -> dict[str, list[CriterionChange]]:
    if not unit_ids:
        return {}
    rows = _records(
        con,
        """
        with names as (
            select criterion_values.criterion_code, any_value(criteria.name_vi) as criterion_name
            from marts.fct_criterion_values as criterion_values
            join marts.dim_criteria as criteria
                on criteria.rule_version = criterion_values.rule_version
                and criteria.criterion_code = criterion_values.criterion_code
            where criterion_values.period_type = 'month'
                and criterion_values.period_start = ?
                and criterion_values.input_source = 'records'
            group by criterion_values.criterion_code
        )
        select changes.*, coalesce(names.criterion_name, changes.criterion_code) as criterion_name
        from marts.rpt_score_changes as changes
        left join names on names.criterion_code = changes.criterion_code
        where changes.period_type = 'month'
            and changes.period_start = ?
            and list_contains(?, changes.unit_id)
            and changes.points_change <> 0
        qualify row_number() over (
            partition by changes.unit_id order by abs(changes.points_change) desc, changes.criterion_code
        ) <= ?
        order by changes.unit_id, abs(changes.points_change) desc, changes.criterion_code
        """,
        [period_start, period_start, list(unit_ids), CRITERIA_PER_MOVER],
    )
    by_unit: dict[str, list[CriterionChange]] = {}
    for row in rows:
        by_unit.setdefault(row["unit_id"], []).append(
            CriterionChange(
                criterion_code=row["criterion_code"],
                criterion_name=row["criterion_name"],
                group_code=row["group_code"],
                previous_points=row["previous_points"],
                points=row["points"],
                points_change=row["points_change"],
                numerator_effect=row["numerator_effect"],
                denominator_effect=row["denominator_effect"],
                previous_numerator=row["previous_numerator"],
                previous_denominator=row["previous_denominator"],
                numerator=row["numerator"],
                denominator=row["denominator"],
            )
        )
    return by_unit


def _load_reconciliation(con: duckdb.DuckDBPyConnection, period_start: date) -> Reconciliation:
    summary = _records(
        con,
        """
        select
            count(*) as row_count,
            count(records_agree_with_published) as compared,
            count(*) filter (where records_agree_with_published) as agreeing,
            max(abs(records_minus_published)) as max_abs_records_minus_published,
            count(portal_inputs_agree_with_published) as portal_inputs_compared,
            count(*) filter (where portal_inputs_agree_with_published) as portal_inputs_agreeing,
            max(abs(portal_inputs_minus_published)) as max_abs_portal_inputs_minus_published,
            count(distinct unit_id) filter (where unit_match = 'name') as name_matched_units
        from marts.rpt_reconciliation
        where period_type = 'month' and period_start = ?
        """,
        [period_start],
    )[0]
    unmatched = con.execute(
        """
        select distinct coalesce(department_name, department_id, '?')
        from marts.rpt_reconciliation
        where period_type = 'month' and period_start = ? and unit_match in ('evaluation_only', 'unmatched')
        order by 1
        """,
        [period_start],
    ).fetchall()
    return Reconciliation(**summary, unmatched_units=[name for (name,) in unmatched])


def _ranking_chart(provinces: PeerRanking, group_max: Mapping[str, Decimal]) -> Markup:
    bars = [
        charts.Bar(
            label=f"{line.rank}. {line.unit_name}",
            value=float(line.total or 0),
            value_label=format_number(line.total),
            colour=line.band_colour,
            tooltip=f"{line.unit_name}: {format_number(line.total)} điểm — {line.band_name}",
        )
        for line in provinces.ranked
    ]
    legend = [charts.LegendEntry(name, BAND_COLOURS[code]) for code, name in BAND_NAMES.items()]
    return charts.ranking_bars(
        bars,
        scale_max=float(sum(group_max.values())) or 100.0,
        legend=legend,
        title=f"Tổng điểm {provinces.heading}, theo thứ hạng",
        chart_id="ranking",
    )


def _heatmap_chart(rankings: Sequence[PeerRanking], group_max: Mapping[str, Decimal]) -> Markup:
    columns = [
        charts.HeatColumn(f"{code} ({format_count(group_max.get(code))})", f"{name}, tối đa "
                          f"{format_count(group_max.get(code))} điểm")
        for code, name in GROUPS
    ]
    sections = [
        charts.HeatSection(
            ranking.title,
            [
                charts.HeatRow(line.unit_name, [_heat_cell(line, index, group_max) for index in range(len(GROUPS))])
                for line in ranking.lines
            ],
        )
        for ranking in rankings
        if ranking.lines
    ]
    return charts.group_heatmap(
        columns, sections, title="Điểm từng nhóm chỉ số, tính theo % điểm tối đa của nhóm", chart_id="heatmap"
    )


def _heat_cell(line: RankingLine, index: int, group_max: Mapping[str, Decimal]) -> charts.HeatCell:
    code, name = GROUPS[index]
    points, maximum = line.group_points[index], group_max.get(code)
    if points is None or not maximum:
        return charts.HeatCell(None, format_number(points), f"{line.unit_name} — {name}: {format_number(points)}")
    fraction = float(points / maximum)
    return charts.HeatCell(
        fraction,
        format_share(fraction, 0),
        f"{line.unit_name} — {name}: {format_number(points)}/{format_count(maximum)} điểm "
        f"({format_share(fraction, 0)})",
    )


def _movers_chart(movers: Sequence[Mover]) -> Markup | None:
    if not movers:
        return None
    bars = [
        charts.SignedBar(
            label=mover.line.unit_name,
            value=float(mover.line.points_change),
            value_label=format_signed(mover.line.points_change),
            tooltip=f"{mover.line.unit_name}: {format_number(mover.line.previous_total)} → "
            f"{format_number(mover.line.total)} điểm",
        )
        for mover in movers
    ]
    return charts.diverging_bars(bars, title="Thay đổi tổng điểm so với kỳ trước", chart_id="movers")
