"""Read a release's tables from a warehouse and write them as Parquet, CSV and a fresh DuckDB file.

Every output except the DuckDB file is byte-for-byte reproducible from the same warehouse contents: rows are
ordered totally (the table's key, then every other column), the Parquet writer settings are fixed here, and the
CSV text is pyarrow's (ISO dates, `true`/`false`, shortest round-trip doubles, empty for null, `""` for an
empty string). Bytes still depend on the pinned pyarrow version (Parquet records its writer in `created_by`).

DuckDB database files are not byte-reproducible (two identical builds differ), so `published.duckdb` is
identified by the SHA-256 of each table's canonical CSV export read back from it: equal to the table's CSV file
when the copy is faithful.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.publication.errors import ReleaseInputError
from orchestration.publication.faults import fault_point
from orchestration.publication.files import sha256_file
from orchestration.publication.spec import PERIOD_START_COLUMN, PERIOD_TYPE, PERIOD_TYPE_COLUMN, TableSpec

UTF8_BOM = b"\xef\xbb\xbf"
PARQUET_WRITER_SETTINGS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1_000_000,
    "store_schema": True,
}
CSV_WRITE_OPTIONS = pa_csv.WriteOptions(
    include_header=True, delimiter=",", eol="\r\n", quoting_style="needed"
)
PUBLISHED_DUCKDB = "published.duckdb"
PUBLISHED_SCHEMA = "marts"


def parquet_path(name: str) -> str:
    return f"parquet/{name}.parquet"


def csv_path(name: str) -> str:
    return f"csv/{name}.csv"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [spec.schema, spec.name],
    ).fetchall()
    return [r[0] for r in rows]


def ordered_select(spec: TableSpec, columns: list[str], period_start: date | None) -> tuple[str, list[Any]]:
    """SQL (and its parameters) that reads a table's release rows in their total order."""
    missing = [c for c in spec.key if c not in columns]
    if spec.period_filtered:
        missing += [c for c in (PERIOD_TYPE_COLUMN, PERIOD_START_COLUMN) if c not in columns]
    if missing:
        raise ReleaseInputError(
            f"{spec.schema}.{spec.name} lacks column(s) {', '.join(sorted(set(missing)))}"
        )
    order = list(spec.key) + [c for c in columns if c not in spec.key]
    sql = f"select * from {spec.qualified_name}"
    params: list[Any] = []
    conditions = []
    if spec.period_filtered and period_start is not None:
        conditions.append(f"{_quote(PERIOD_TYPE_COLUMN)} = ? and {_quote(PERIOD_START_COLUMN)} = ?")
        params = [PERIOD_TYPE, period_start]
    if spec.row_filter:
        conditions.append(f"({spec.row_filter})")
    if conditions:
        sql += " where " + " and ".join(conditions)
    sql += " order by " + ", ".join(f"{_quote(c)} asc nulls last" for c in order)
    return sql, params


def read_release_tables(
    con: duckdb.DuckDBPyConnection, tables: tuple[TableSpec, ...], period_start: date
) -> dict[str, pa.Table]:
    """The month's rows of every period table and the whole of every other table, in their total order."""
    columns = {spec.name: table_columns(con, spec) for spec in tables}
    absent = [f"{spec.schema}.{spec.name}" for spec in tables if not columns[spec.name]]
    if absent:
        raise ReleaseInputError("the warehouse lacks table(s) " + ", ".join(absent))
    result: dict[str, pa.Table] = {}
    for spec in tables:
        sql, params = ordered_select(spec, columns[spec.name], period_start)
        result[spec.name] = con.sql(sql, params=params).to_arrow_table().combine_chunks()
    return result


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_WRITER_SETTINGS)


def write_csv(table: pa.Table, sink: Any) -> None:
    """CSV for Excel: UTF-8 with a byte-order mark (so Vietnamese text opens right), CRLF line ends."""
    sink.write(UTF8_BOM)
    pa_csv.write_csv(table, sink, CSV_WRITE_OPTIONS)


def write_csv_file(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_csv(table, fh)


class _HashingSink:
    """A write-only file object that keeps only the SHA-256 of what is written."""

    closed = False

    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)

    def flush(self) -> None:
        pass


def csv_sha256(table: pa.Table) -> str:
    """SHA-256 of the CSV file `write_csv` would write for `table`, without writing it."""
    sink = _HashingSink()
    write_csv(table, sink)
    return sink.digest.hexdigest()


def write_published_duckdb(tables: dict[str, pa.Table], path: Path) -> None:
    """A new DuckDB file holding the release's tables in schema `marts` (never a copy of the live warehouse)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        for name, table in tables.items():
            con.register("release_table", table)
            con.execute(f"create table {PUBLISHED_SCHEMA}.{_quote(name)} as select * from release_table")
            con.unregister("release_table")
        con.execute("checkpoint")
    finally:
        con.close()


def published_content_hashes(path: Path, tables: tuple[TableSpec, ...]) -> dict[str, str]:
    """Per table of a published DuckDB file, the SHA-256 of its canonical CSV (see the module docstring)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        hashes = {}
        for spec in tables:
            local = TableSpec(spec.name, spec.key, spec.period_filtered, schema=PUBLISHED_SCHEMA)
            sql, params = ordered_select(local, table_columns(con, local), None)
            hashes[spec.name] = csv_sha256(con.sql(sql, params=params).to_arrow_table())
        return hashes
    finally:
        con.close()


@dataclass(frozen=True)
class ExportedTable:
    """One table as written: where, how many rows, which columns (name, Arrow type)."""

    spec: TableSpec
    rows: int
    columns: tuple[tuple[str, str], ...]
    parquet: str
    csv: str


def export_tables(
    tables: dict[str, pa.Table], specs: tuple[TableSpec, ...], out_dir: Path
) -> list[ExportedTable]:
    """Write each table as Parquet and CSV and all of them into `published.duckdb` under `out_dir`."""
    exported = []
    for spec in specs:
        table = tables[spec.name]
        write_parquet(table, out_dir / parquet_path(spec.name))
        fault_point("mid_write", out_dir)
        write_csv_file(table, out_dir / csv_path(spec.name))
        exported.append(
            ExportedTable(
                spec=spec,
                rows=table.num_rows,
                columns=tuple((f.name, str(f.type)) for f in table.schema),
                parquet=parquet_path(spec.name),
                csv=csv_path(spec.name),
            )
        )
    write_published_duckdb(tables, out_dir / PUBLISHED_DUCKDB)
    return exported


def duckdb_content_key(table: str) -> str:
    """How the contents of a table of published.duckdb are named among the reproducible outputs."""
    return f"{PUBLISHED_DUCKDB}#{PUBLISHED_SCHEMA}.{table}"


def reproducible_hashes(out_dir: Path, exported: list[ExportedTable]) -> dict[str, str]:
    """The hashes that identify a release's data: Parquet and CSV files, and published.duckdb's table contents.

    Keys are the files' relative paths, and `published.duckdb#marts.<table>` for the DuckDB contents.
    """
    hashes: dict[str, str] = {}
    for table in exported:
        hashes[table.parquet] = sha256_file(out_dir / table.parquet)
        hashes[table.csv] = sha256_file(out_dir / table.csv)
    contents = published_content_hashes(out_dir / PUBLISHED_DUCKDB, tuple(t.spec for t in exported))
    for name, digest in contents.items():
        hashes[duckdb_content_key(name)] = digest
    return hashes
