"""A fingerprint of exactly the rows a month's release would publish, read from the warehouse.

The quality gate records it beside its verdict; the publication step recomputes it before writing anything and
refuses when the two differ (the warehouse changed between the check and the publication, or the gate ran on
another month). Each table contributes its row count and the sum of its rows' hashes over the release's own
selection (spec.py: the month's rows, less those a row filter keeps out), so the fingerprint moves when any
published value moves, and costs one scan per table.
"""

from __future__ import annotations

import hashlib

import duckdb

from orchestration.publication.export import ordered_select, table_columns
from orchestration.publication.report import month_start
from orchestration.publication.spec import RELEASE_TABLES, TableSpec


def data_fingerprint(
    con: duckdb.DuckDBPyConnection, month: str, tables: tuple[TableSpec, ...] = RELEASE_TABLES
) -> str:
    """SHA-256 over each published table's name, row count and order-independent sum of row hashes."""
    digest = hashlib.sha256()
    start = month_start(month)
    for spec in tables:
        columns = table_columns(con, spec)
        sql, params = ordered_select(spec, columns, start)
        count, total = con.execute(
            f"select count(*), coalesce(sum(hash(release_rows)), 0) from ({sql}) as release_rows", params
        ).fetchone()
        digest.update(f"{spec.schema}.{spec.name}:{count}:{total}\n".encode())
    return digest.hexdigest()
