"""What changed between two releases of a month: units whose total or rank moved, criteria whose inputs or
points moved, with before and after values (diff.json, and diff.csv with one changed value a line).

Answers the reviewer's "why did this unit drop 6 points?" after a restatement, from the two releases' Parquet
files alone (the live warehouse is not needed, and an older release is only read).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.publication.export import UTF8_BOM, parquet_path
from orchestration.publication.files import sha256_file

DIFF_JSON = "diff.json"
DIFF_CSV = "diff.csv"


@dataclass(frozen=True)
class DiffSpec:
    """How one table is compared: rows matched on `key`; a row changed when a `compared` column differs;
    `compared` and `shown` columns are reported before and after, `labels` once (from the newer release)."""

    section: str
    kind: str
    table: str
    key: tuple[str, ...]
    compared: tuple[str, ...]
    shown: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


DIFFS: tuple[DiffSpec, ...] = (
    DiffSpec(
        section="units_changed",
        kind="unit",
        table="rpt_rankings",
        key=("unit_id",),
        compared=("total_points", "competition_rank"),
        shown=("band_code",),
        labels=("unit_name", "peer_group"),
    ),
    DiffSpec(
        section="criteria_changed",
        kind="criterion",
        table="fct_criterion_values",
        key=("unit_id", "criterion_code", "input_source"),
        compared=("numerator", "denominator", "points", "value_state"),
        labels=("group_code",),
    ),
)
CSV_COLUMNS = ("kind", "unit_id", "criterion_code", "input_source", "field", "before", "after")


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _changed_rows(con: duckdb.DuckDBPyConnection, spec: DiffSpec, before: Path, after: Path) -> list[dict]:
    def q(c: str) -> str:
        return '"' + c + '"'

    key = ", ".join(f"coalesce(a.{q(c)}, b.{q(c)}) as {q(c)}" for c in spec.key)
    labels = "".join(f", coalesce(a.{q(c)}, b.{q(c)}) as {q(c)}" for c in spec.labels)
    values = "".join(
        f", b.{q(c)} as {q(c + '__before')}, a.{q(c)} as {q(c + '__after')}"
        for c in spec.compared + spec.shown
    )
    join = " and ".join(f"a.{q(c)} = b.{q(c)}" for c in spec.key)
    changed = " or ".join(f"a.{q(c)} is distinct from b.{q(c)}" for c in spec.compared)
    first = q(spec.key[0])
    sql = f"""
        select {key}{labels},
            case when b.{first} is null then 'added' when a.{first} is null then 'removed' else 'changed' end
                as change{values}
        from read_parquet(?) as b
        full outer join read_parquet(?) as a on {join}
        where b.{first} is null or a.{first} is null or {changed}
        order by {", ".join(q(c) + " asc nulls last" for c in spec.key)}
    """
    cursor = con.execute(sql, [str(before), str(after)])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _json_row(spec: DiffSpec, row: dict) -> dict[str, Any]:
    out: dict[str, Any] = {c: row[c] for c in spec.key + spec.labels}
    out["change"] = row["change"]
    for c in spec.compared + spec.shown:
        out[c] = {"before": _json_value(row[f"{c}__before"]), "after": _json_value(row[f"{c}__after"])}
    return out


def _csv_rows(spec: DiffSpec, row: dict) -> list[list[str]]:
    lines = []
    for c in spec.compared + spec.shown:
        before, after = row[f"{c}__before"], row[f"{c}__after"]
        if row["change"] == "changed" and before == after:
            continue
        lines.append(
            [
                spec.kind,
                _csv_value(row.get("unit_id")),
                _csv_value(row.get("criterion_code")),
                _csv_value(row.get("input_source")),
                c,
                _csv_value(before),
                _csv_value(after),
            ]
        )
    return lines


@dataclass(frozen=True)
class ReleaseDiff:
    """diff.json's content, and diff.csv's lines (one changed value a line)."""

    content: dict[str, Any]
    csv_lines: list[list[str]]


def diff_releases(
    month: str, before: Path, from_version: int, after: Path, to_version: int, tables: list[str]
) -> ReleaseDiff:
    """The diff of release folder `after` against `before` (both hold `parquet/<table>.parquet`)."""
    diff: dict[str, Any] = {
        "month": month,
        "from_version": from_version,
        "to_version": to_version,
        "tables_changed": [],
        "not_compared": [],
    }
    for name in tables:
        old, new = before / parquet_path(name), after / parquet_path(name)
        if not old.exists() or sha256_file(old) != sha256_file(new):
            diff["tables_changed"].append(name)
    csv_lines: list[list[str]] = []
    con = duckdb.connect()
    try:
        for spec in DIFFS:
            old, new = before / parquet_path(spec.table), after / parquet_path(spec.table)
            if not (old.exists() and new.exists()):
                diff["not_compared"].append(spec.table)
                diff[spec.section] = []
                continue
            rows = _changed_rows(con, spec, old, new)
            diff[spec.section] = [_json_row(spec, r) for r in rows]
            for r in rows:
                csv_lines.extend(_csv_rows(spec, r))
    finally:
        con.close()
    return ReleaseDiff(content=diff, csv_lines=csv_lines)


def write_diff(diff: ReleaseDiff, folder: Path) -> list[str]:
    """Write diff.json and diff.csv (UTF-8 with BOM, CRLF) into `folder`; return their relative paths."""
    payload = json.dumps(diff.content, ensure_ascii=False, indent=2) + "\n"
    (folder / DIFF_JSON).write_bytes(payload.encode("utf-8"))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(diff.csv_lines)
    (folder / DIFF_CSV).write_bytes(UTF8_BOM + text.getvalue().encode("utf-8"))
    return [DIFF_JSON, DIFF_CSV]
