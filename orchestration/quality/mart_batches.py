"""The marts batches the gate validates, one row per thing a reviewer can name (a unit, a table, a column).

Checks that Great Expectations has no expectation for (ranks that follow from totals, units that must be
present) are computed here as a column beside the value they judge, e.g. `expected_competition_rank` beside
`competition_rank`, so that the suite compares the two and a failure lists the units in the quality report. GX's
UnexpectedRowsExpectation would say this in SQL, but it only runs on SQL and Spark datasources
(`unexpected_rows_query.table` has no pandas metric in GX 1.24), and the batches here are pandas DataFrames.
The large fact table, fct_criterion_values, is aggregated per unit and period in DuckDB so that what reaches
pandas is bounded by the number of units, not units × criteria.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.quality.periods import Month
from orchestration.quality.warehouse import frame, require

RECORDS = "records"
COVERED_UNIT_TYPES = ("ministry", "province")


def _periods_clause(month: Month) -> tuple[str, dict]:
    """SQL condition on (period_type, period_start) for the month and the quarter and year that contain it."""
    conditions = []
    params = {}
    for i, (period_type, start) in enumerate(month.periods()):
        conditions.append(f"(period_type = $type{i} and period_start = $start{i})")
        params[f"type{i}"] = period_type
        params[f"start{i}"] = start
    return "(" + " or ".join(conditions) + ")", params


def criterion_values(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """Per unit, period and input source: criteria whose points are null or outside [0, max_points]."""
    require(con, "marts.fct_criterion_values")
    periods, params = _periods_clause(month)
    outside = "points is null or max_points is null or points < 0 or points > max_points"
    return frame(
        con,
        f"""
        select unit_id, period_type, period_start::varchar as period_start, input_source,
            count(*) as criteria,
            count(*) filter (where {outside}) as criteria_out_of_range,
            coalesce(string_agg(
                criterion_code || ' ' || coalesce(points::varchar, 'null') || ' of ' || coalesce(max_points::varchar, 'null'),
                '; ' order by criterion_code) filter (where {outside}), '') as out_of_range
        from marts.fct_criterion_values
        where {periods}
        group by all
        order by all
        """,
        params,
    )


def unit_scores(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """fct_unit_scores of the month's periods, with the sum of the six group points computed beside the total."""
    require(con, "marts.fct_unit_scores")
    periods, params = _periods_clause(month)
    return frame(
        con,
        f"""
        select unit_id, period_type, period_start::varchar as period_start, input_source,
            ckmb_points + tdgq_points + clgq_points + tttt_points + mdsh_points + mdhl_points as group_points_sum,
            total_points
        from marts.fct_unit_scores
        where {periods}
        order by all
        """,
        params,
    )


def rankings(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """The month's rpt_rankings with, per peer group, the competition ranks of the totals and the ranked count.

    `expected_competition_rank` is rank() over the ranked members' totals (1, 2, 2, 4: the minimum is 1 and a
    rank r shared by c units is followed by r + c); null for members that are not ranked.
    """
    require(con, "marts.rpt_rankings")
    return frame(
        con,
        """
        select unit_id, unit_name, unit_type, peer_group, coalesce(peer_group_unit_id, '') as peer_group_unit_id,
            is_ranked, total_points, competition_rank,
            case when is_ranked then rank() over (
                partition by peer_group, peer_group_unit_id, is_ranked order by total_points desc
            ) end as expected_competition_rank,
            peer_group_size,
            count(*) filter (where is_ranked) over (partition by peer_group, peer_group_unit_id) as ranked_members
        from marts.rpt_rankings
        where period_type = 'month' and period_start = $start
        order by peer_group, peer_group_unit_id, competition_rank nulls last, unit_id
        """,
        {"start": month.start},
    )


def coverage(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """Every ministry and province in force during the month (dim_units), and whether the month's marts have it
    (unit scores of the month's ranked source: records, or the published evaluation in a run from it alone)."""
    require(con, "marts.dim_units", "marts.rpt_rankings", "marts.fct_unit_scores")
    return frame(
        con,
        """
        select u.unit_id, u.unit_name, u.unit_type,
            exists (
                select 1 from marts.rpt_rankings r
                where r.unit_id = u.unit_id and r.period_type = 'month' and r.period_start = $start
            ) as in_rankings,
            exists (
                select 1 from marts.fct_unit_scores s
                where s.unit_id = u.unit_id and s.period_type = 'month' and s.period_start = $start
                    and s.input_source = coalesce((
                select case when bool_or(input_source = 'records') then 'records' else 'portal_published' end
                from marts.fct_unit_scores where period_type = 'month' and period_start = $start
            ), $records)
            ) as in_unit_scores
        from marts.dim_units u
        where u.unit_type in (select unnest($types))
            and (u.valid_from is null or u.valid_from < $next_start)
            and (u.valid_to is null or u.valid_to >= $start)
        order by u.unit_type, u.unit_id
        """,
        {"start": month.start, "next_start": month.next_start, "records": RECORDS, "types": list(COVERED_UNIT_TYPES)},
    )


def province_counts(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """How many provinces the month's rankings and unit scores (of its ranked source: records, or the published
    evaluation in a run from it alone) hold: 63 before July 2025, 34 from it."""
    require(con, "marts.rpt_rankings", "marts.fct_unit_scores", "marts.dim_units")
    return frame(
        con,
        """
        select 'rpt_rankings' as table_name, count(distinct unit_id) as provinces
        from marts.rpt_rankings
        where period_type = 'month' and period_start = $start and unit_type = 'province'
        union all
        select 'fct_unit_scores', count(distinct s.unit_id)
        from marts.fct_unit_scores s join marts.dim_units u using (unit_id)
        where s.period_type = 'month' and s.period_start = $start
            and s.input_source = coalesce((
                select case when bool_or(input_source = 'records') then 'records' else 'portal_published' end
                from marts.fct_unit_scores where period_type = 'month' and period_start = $start
            ), $records)
            and u.unit_type = 'province'
        """,
        {"start": month.start, "records": RECORDS},
    )


def mart_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every column of every table in schema marts (personal data must never get there)."""
    return frame(
        con,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' order by table_name, ordinal_position",
    )
