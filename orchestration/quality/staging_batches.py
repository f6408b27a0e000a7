"""The staging batches the gate validates: small DataFrames that DuckDB aggregates from the staging tables.

National-scale staging holds millions of dossier rows a month (and several times that in their child lists), so
no check loads a staging table into pandas. Each batch has one row per thing a reviewer can act on (a table's
column, a table's key, a dataset), computed in one DuckDB scan, and the expectations judge those rows:

- schema: `information_schema.columns` gives each column's declared DuckDB type without reading a row. Checking
  pandas dtypes of a sample would be weaker: DECIMAL, DATE and nullable integers all arrive as float64 or
  datetime64, and a LIMIT sample of a month with no rows has nothing to infer from.
- keys: a DuckDB group-by on the model's unique key (`unique_key` in `_portal__models.yml`; the gate is its only
  check, dbt does not test it too) gives per table the rows, the duplicated keys, the rows with a null key part
  and a few examples; only those numbers reach pandas.
- dates: one scan per table computes, for each date column, the rows outside the plausible bounds relative to
  the period (and the earliest and latest values, and example keys).
- volumes and quarantine share: row counts per dataset and period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import duckdb
import pandas as pd
import yaml

from orchestration.quality.periods import Month
from orchestration.quality.warehouse import frame, require
from orchestration.settings import DBT_PROJECT_DIR

STAGING_MODELS_YML = DBT_PROJECT_DIR / "models" / "staging" / "_portal__models.yml"
STAGING_PREFIX = "stg_portal__"
QUARANTINE_TABLE = "stg_portal__quarantine"
# Raw datasets with a quarantine (the accepted values of stg_portal__quarantine.dataset); the raw records of
# each, one row per landed record of the extraction staging reads, are in staging.base_portal__<dataset>.
QUARANTINED_DATASETS = ("units", "procedures", "publication_decisions", "dossiers", "petitions", "ratings", "report_counts")
EXAMPLES = 5


def _staging_models() -> list[dict]:
    return yaml.safe_load(STAGING_MODELS_YML.read_text(encoding="utf-8"))["models"]


def _meta(model: dict) -> dict:
    return (model.get("config") or {}).get("meta") or {}


@lru_cache(maxsize=1)
def staging_keys() -> dict[str, tuple[str, ...]]:
    """Each staging model's unique key: `unique_key` in its meta in the dbt project. The gate is what checks it
    (unique, and no part null but the `nullable_key_columns`); dbt does not test it again."""
    return {m["name"]: tuple(_meta(m)["unique_key"]) for m in _staging_models() if "unique_key" in _meta(m)}


@lru_cache(maxsize=1)
def nullable_key_columns() -> dict[str, tuple[str, ...]]:
    """Per staging model, the parts of its key that may be null (`nullable_key_columns` in its meta)."""
    return {m["name"]: tuple(_meta(m).get("nullable_key_columns") or ()) for m in _staging_models() if "unique_key" in _meta(m)}


@lru_cache(maxsize=1)
def record_keys() -> dict[str, tuple[str, ...]]:
    """Each staging model's key, to name example rows by: its `unique_key`, or for a model whose key holds by
    construction and is not checked (the views of a dossier's lists), the `record_key` of its meta."""
    declared = {m["name"]: tuple(_meta(m)["record_key"]) for m in _staging_models() if "record_key" in _meta(m)}
    return declared | staging_keys()


def column_signatures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every column of the staging models: table_name, column_name, data_type and `table.column TYPE`."""
    return frame(
        con,
        "select table_name, column_name, data_type, "
        "table_name || '.' || column_name || ' ' || data_type as column_signature "
        "from information_schema.columns where table_schema = 'staging' and starts_with(table_name, ?) "
        "order by table_name, ordinal_position",
        [STAGING_PREFIX],
    )


def _staging_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = 'staging' and starts_with(table_name, ?)",
        [STAGING_PREFIX],
    ).fetchall()
    return {name for (name,) in rows}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _key_text(columns: tuple[str, ...]) -> str:
    return "concat_ws('|', " + ", ".join(f"cast({_quote(c)} as varchar)" for c in columns) + ")"


def duplicate_keys(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """Per staging model with a key: the month's rows, how many keys occur more than once, how many rows have a
    null part of the key (one that may not be null), and examples of either."""
    present = _staging_tables(con)
    parts = []
    for table, key in sorted(staging_keys().items()):
        if table not in present:
            continue  # the schema check names the missing table
        key_list = ", ".join(_quote(c) for c in key)
        required = [c for c in key if c not in nullable_key_columns()[table]]
        has_null = " or ".join(f"{_quote(c)} is null" for c in required) or "false"
        parts.append(f"""
            select '{table}' as table_name, '{", ".join(key)}' as key_columns,
                coalesce(sum(copies), 0)::bigint as "rows",
                count(*) filter (where copies > 1) as duplicate_keys,
                coalesce(sum(copies) filter (where has_null), 0)::bigint as null_key_rows,
                coalesce(array_to_string(
                    list_slice(list(key_text order by key_text) filter (where copies > 1 or has_null), 1, {EXAMPLES}),
                    ', '), '') as examples
            from (
                select {key_list}, {_key_text(key)} as key_text, {has_null} as has_null, count(*) as copies
                from staging.{_quote(table)} where period = $period group by all
            )""")
    return frame(con, " union all ".join(parts) + " order by table_name", {"period": month.label})


@dataclass(frozen=True)
class DateBounds:
    """A date column's plausible range relative to the period: lower <= value < upper (either may be open).

    Bound names: `lookback` (period start minus QualityConfig.date_lookback_years), `period_start`,
    `year_before` (period start minus 12 months), `next_start` (first day after the period), `horizon` (next_start
    plus two years: due dates and effective dates lie ahead), `extraction` (the row's extraction time in Vietnam
    wall-clock time plus a day: nothing can have happened after the portal was read).
    """

    table: str
    column: str
    lower: str | None
    upper: str | None


DATE_BOUNDS: tuple[DateBounds, ...] = (
    DateBounds("stg_portal__units", "valid_from", None, "next_start"),
    # the published month, its quarter or its year (to date): starts within the year before the month's end
    DateBounds("stg_portal__evaluation_inputs", "period_start", "year_before", "next_start"),
    DateBounds("stg_portal__units", "valid_to", "period_start", None),
    DateBounds("stg_portal__publication_decisions", "decision_date", "period_start", "next_start"),
    DateBounds("stg_portal__publication_decision_procedures", "legal_basis_effective_date", None, "horizon"),
    DateBounds("stg_portal__publication_decision_procedures", "made_public_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossiers", "submitted_at", "lookback", "next_start"),
    DateBounds("stg_portal__dossiers", "received_at", "lookback", "next_start"),
    DateBounds("stg_portal__dossiers", "due_at", "lookback", "horizon"),
    DateBounds("stg_portal__dossiers", "processing_ended_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossiers", "returned_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossiers", "refused_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossiers", "updated_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossier_status_history", "changed_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossier_supplements", "requested_at", "lookback", "extraction"),
    DateBounds("stg_portal__dossier_supplements", "completed_at", "lookback", "extraction"),
    DateBounds("stg_portal__petitions", "sent_at", "lookback", "next_start"),
    DateBounds("stg_portal__petitions", "received_at", "lookback", "extraction"),
    DateBounds("stg_portal__petitions", "last_transferred_at", "lookback", "extraction"),
    DateBounds("stg_portal__petitions", "handled_at", "lookback", "extraction"),
    DateBounds("stg_portal__petitions", "refused_at", "lookback", "extraction"),
    DateBounds("stg_portal__ratings", "rated_at", "period_start", "next_start"),
    DateBounds("stg_portal__report_counts", "report_month_start", "year_before", "next_start"),
)
# Date columns that are not portal data: when the warehouse build found the issue.
UNBOUNDED_DATE_COLUMNS = {("stg_portal__quarantine", "detected_at")}

_EXTRACTION_VN = "(try_strptime(extracted_at, '%Y%m%dT%H%M%S%fZ') + interval 7 hour + interval 1 day)"


def _bound_values(month: Month, lookback_years: int) -> dict[str, date]:
    start = month.start
    return {
        "lookback": date(start.year - lookback_years, start.month, 1),
        "period_start": start,
        "year_before": date(start.year - 1, start.month, 1),
        "next_start": month.next_start,
        "horizon": date(month.next_start.year + 2, month.next_start.month, 1),
    }


def _bound_sql(name: str | None) -> str | None:
    if name is None:
        return None
    return _EXTRACTION_VN if name == "extraction" else f"${name}"


def date_ranges(con: duckdb.DuckDBPyConnection, month: Month, lookback_years: int) -> pd.DataFrame:
    """Per bounded date column: the month's rows outside their plausible range, with the range and examples."""
    present = _staging_tables(con)
    bounds = _bound_values(month, lookback_years)
    keys = record_keys()
    by_table: dict[str, list[DateBounds]] = {}
    for rule in DATE_BOUNDS:
        if rule.table in present:
            by_table.setdefault(rule.table, []).append(rule)
    rows = []
    for table, rules in by_table.items():
        selects = []
        for i, rule in enumerate(rules):
            column = _quote(rule.column)
            lower, upper = _bound_sql(rule.lower), _bound_sql(rule.upper)
            outside = " or ".join(
                ([f"{column} < {lower}"] if lower else []) + ([f"{column} >= {upper}"] if upper else [])
            )
            selects += [
                f"count({column}) as n{i}",
                f"min({column})::varchar as earliest{i}",
                f"max({column})::varchar as latest{i}",
                f"count(*) filter (where {outside}) as out{i}",
                f"array_to_string(list_slice(list({_key_text(keys[table])}) filter (where {outside}), 1, {EXAMPLES}), ', ') as ex{i}",
            ]
            if rule.upper == "extraction":
                selects.append(f"max({_EXTRACTION_VN})::varchar as upper{i}")
        params = {"period": month.label} | {
            name: value for name, value in bounds.items() if any(f"${name}" in s for s in selects)
        }
        result = con.execute(
            f"select {', '.join(selects)} from staging.{_quote(table)} where period = $period", params
        ).fetchone()
        values = dict(zip([d[0] for d in con.description], result, strict=True))
        for i, rule in enumerate(rules):
            upper = values.get(f"upper{i}") if rule.upper == "extraction" else bounds.get(rule.upper)
            rows.append({
                "table_name": table,
                "column_name": rule.column,
                "values_checked": values[f"n{i}"],
                "earliest": values[f"earliest{i}"],
                "latest": values[f"latest{i}"],
                "lower_bound": str(bounds[rule.lower]) if rule.lower else "(none)",
                "upper_bound": f"{upper} ({rule.upper})" if rule.upper else "(none)",
                "rows_out_of_range": values[f"out{i}"],
                "examples": values[f"ex{i}"] or "",
            })
    return pd.DataFrame(rows, columns=[
        "table_name", "column_name", "values_checked", "earliest", "latest", "lower_bound", "upper_bound",
        "rows_out_of_range", "examples",
    ])


def volumes(con: duckdb.DuckDBPyConnection, month: Month, baseline: list[Month], baseline_months: int) -> pd.DataFrame:
    """Per staging model: the month's rows against the median of the previous months that have rows.

    `baseline` lists the candidate previous months, most recent first; the first `baseline_months` of them that
    have rows make the baseline. Without any, the ratio is null (GX counts it as missing, so the check passes)
    and `baseline_months_used` is empty: the gate turns that into a note.
    """
    tables = sorted(t for t in _staging_tables(con) if t != QUARANTINE_TABLE)
    periods = [month.label] + [m.label for m in baseline]
    counts: dict[tuple[str, str], int] = {}
    if tables:
        union = " union all ".join(
            f"select '{t}' as table_name, period, count(*) as n from staging.{_quote(t)} "
            f"where period in (select unnest($periods)) group by period"
            for t in tables
        )
        for table, period, n in con.execute(union, {"periods": periods}).fetchall():
            counts[(table, period)] = n
    rows = []
    for table in tables:
        current = counts.get((table, month.label), 0)
        used = [m.label for m in baseline if counts.get((table, m.label), 0) > 0][:baseline_months]
        median = statistics.median(counts[(table, p)] for p in used) if used else None
        rows.append({
            "table_name": table,
            "rows": current,
            "baseline_median": median,
            "baseline_months_used": ", ".join(used),
            "ratio_to_baseline": current / median if median else None,
        })
    df = pd.DataFrame(rows, columns=["table_name", "rows", "baseline_median", "baseline_months_used", "ratio_to_baseline"])
    return df.astype({"baseline_median": "float64", "ratio_to_baseline": "float64"})


def quarantine_shares(con: duckdb.DuckDBPyConnection, month: Month) -> pd.DataFrame:
    """Per raw dataset: the month's raw records, quarantine rows (one per issue) and their share.

    A record with two issues counts twice, so the share is an upper bound of the records left out: the threshold
    errs on the side of blocking.
    """
    require(con, f"staging.{QUARANTINE_TABLE}", *(f"staging.base_portal__{d}" for d in QUARANTINED_DATASETS))
    raw = " union all ".join(
        f"select '{d}' as dataset, count(*) as raw_rows from staging.base_portal__{d} where period = $period"
        for d in QUARANTINED_DATASETS
    )
    return frame(
        con,
        f"""
        with raw as ({raw}),
        quarantined as (
            select dataset, count(*) as quarantine_rows
            from staging.{QUARANTINE_TABLE} where period = $period group by dataset
        )
        select raw.dataset, raw.raw_rows, coalesce(quarantined.quarantine_rows, 0) as quarantine_rows,
            case when raw.raw_rows > 0 then coalesce(quarantined.quarantine_rows, 0) / raw.raw_rows end as share
        from raw left join quarantined using (dataset)
        order by raw.dataset
        """,
        {"period": month.label},
    )
