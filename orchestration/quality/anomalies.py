"""Month-on-month jumps per unit that a reviewer should look at before publishing.

Two measures per unit present in both months' fct_unit_scores (input source records, so units in force in both):
- volume: dossiers received in the month (staging dossiers of the period with received_at inside it, counted
  for the handling unit), against the previous month's; a jump is ×ratio or ÷ratio (QualityConfig
  anomaly_volume_ratio, default 3), judged only when the larger month has at least anomaly_min_dossiers;
- points: the change of total_points, a jump when its size exceeds anomaly_max_points_change (default 15).

`unit_changes` gives the per-unit table the gate validates (its suite `unit_changes` shows the jumps in the Data
Docs, as warnings unless QualityConfig.anomalies_block); `find_anomalies` gives the jumps themselves, one row
per unit and measure, for the release summary.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from orchestration.quality.config import QualityConfig
from orchestration.quality.periods import Month
from orchestration.quality.warehouse import existing_tables, frame, require

ANOMALY_COLUMNS = [
    "kind", "unit_id", "unit_name", "unit_type", "month", "previous_month", "previous_value", "value", "change",
    "threshold", "blocking",
]


def unit_changes(con: duckdb.DuckDBPyConnection, month: Month, config: QualityConfig) -> pd.DataFrame:
    """One row per unit scored (records) in both the month and the month before: points and dossiers of each.

    `dossier_ratio` is null where volume is not judged: too few dossiers, or no staging dossiers at all for the
    previous period (its month was never loaded). It is infinite when dossiers appear from none.
    """
    require(con, "marts.fct_unit_scores")
    previous = month.shifted(-1)
    has_dossiers = "staging.stg_portal__dossiers" in existing_tables(con)
    dossiers = (
        """
        select period, unit_id, count(*) as dossiers
        from staging.stg_portal__dossiers
        where (period = $month and received_at >= $start and received_at < $next_start)
            or (period = $previous and received_at >= $previous_start and received_at < $start)
        group by all
        """
        if has_dossiers
        else "select null::varchar as period, null::varchar as unit_id, 0 as dossiers where false"
    )
    has_names = "marts.dim_units" in existing_tables(con)
    names = "marts.dim_units" if has_names else "(select null::varchar as unit_id, null::varchar as unit_name, null::varchar as unit_type where false)"
    df = frame(
        con,
        f"""
        with scores as (
            select unit_id, period_start, total_points
            from marts.fct_unit_scores
            where period_type = 'month' and input_source = 'records' and period_start in ($start, $previous_start)
        ),
        dossiers as ({dossiers}),
        loaded as (select count(*) > 0 as previous_loaded from dossiers where period = $previous)
        select cur.unit_id, u.unit_name, u.unit_type,
            prev.total_points as previous_total_points, cur.total_points,
            cur.total_points - prev.total_points as points_change,
            coalesce(dp.dossiers, 0) as previous_dossiers, coalesce(dc.dossiers, 0) as dossiers,
            (select previous_loaded from loaded) as previous_dossiers_loaded
        from scores cur
        join scores prev on prev.unit_id = cur.unit_id and prev.period_start = $previous_start
        left join {names} u on u.unit_id = cur.unit_id
        left join dossiers dc on dc.unit_id = cur.unit_id and dc.period = $month
        left join dossiers dp on dp.unit_id = cur.unit_id and dp.period = $previous
        where cur.period_start = $start
        order by cur.unit_id
        """,
        {
            "start": month.start, "next_start": month.next_start, "month": month.label,
            "previous": previous.label, "previous_start": previous.start,
        },
    )
    judged = df["previous_dossiers_loaded"].astype(bool) & (
        df[["previous_dossiers", "dossiers"]].max(axis=1) >= config.anomaly_min_dossiers
    )
    ratio = [
        (cur / prev if prev else math.inf) if ok else math.nan
        for cur, prev, ok in zip(df["dossiers"], df["previous_dossiers"], judged, strict=True)
    ]
    df["dossier_ratio"] = pd.Series(ratio, index=df.index, dtype="float64")
    return df.drop(columns="previous_dossiers_loaded")


def find_anomalies(changes: pd.DataFrame, month: Month, config: QualityConfig) -> pd.DataFrame:
    """The jumps in `unit_changes`: one row per unit and kind ('points' or 'volume'), largest first.

    A volume jump is a ratio of at least anomaly_volume_ratio or at most its inverse; a points jump a change
    larger in size than anomaly_max_points_change. These are the bounds the suite `unit_changes` expects values
    strictly inside, so the quality report and this table list the same units.
    """
    previous = month.shifted(-1).label
    rows = []
    limit = config.anomaly_max_points_change
    for row in changes.itertuples(index=False):
        if pd.notna(row.points_change) and abs(row.points_change) > limit:
            rows.append(("points", row, float(row.previous_total_points), float(row.total_points),
                         float(row.points_change), limit, abs(row.points_change)))
        ratio = row.dossier_ratio
        r = config.anomaly_volume_ratio
        if pd.notna(ratio) and (ratio >= r or ratio <= 1 / r):
            size = math.inf if ratio in (0, math.inf) else max(ratio, 1 / ratio)
            rows.append(("volume", row, int(row.previous_dossiers), int(row.dossiers), float(ratio), r, size))
    rows.sort(key=lambda r: (r[0], -r[6], r[1].unit_id))
    return pd.DataFrame(
        [
            {
                "kind": kind, "unit_id": row.unit_id, "unit_name": row.unit_name, "unit_type": row.unit_type,
                "month": month.label, "previous_month": previous, "previous_value": before, "value": after,
                "change": change, "threshold": threshold, "blocking": config.anomalies_block,
            }
            for kind, row, before, after, change, threshold, _ in rows
        ],
        columns=ANOMALY_COLUMNS,
    )
