"""Read-only access to the DuckDB warehouse, returning DataFrames that Great Expectations can compare."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from orchestration.settings import duckdb_config


class MissingTable(Exception):
    """A table a check reads is not in the warehouse; the gate reports it as a failed check."""


def connect(duckdb_path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only: the gate never writes, and readers may share the file."""
    path = Path(duckdb_path)
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}")
    con = duckdb.connect(str(path), read_only=True, config=duckdb_config())
    con.execute("set enable_progress_bar = false")
    return con


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every `schema.table` (tables and views) of the warehouse."""
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall()
    return {name for (name,) in rows}


def require(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    missing = sorted(set(tables) - existing_tables(con))
    if missing:
        raise MissingTable(", ".join(missing) + (" is" if len(missing) == 1 else " are") + " missing from the warehouse")


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    """Run `sql` and return a DataFrame with plain numpy/object columns.

    DuckDB hands nullable integers and booleans to pandas as extension dtypes (Int32, boolean) holding pd.NA,
    which Great Expectations' pandas comparisons cannot evaluate (a column-pair check errors instead of
    failing). Integers with nulls become float64 with NaN (GX counts NaN as missing), booleans become objects.
    """
    df = con.execute(sql, params or []).df()
    for column in df.columns:
        dtype = df[column].dtype
        if isinstance(dtype, pd.BooleanDtype):
            df[column] = df[column].astype(object).where(df[column].notna(), None)
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(dtype):
            df[column] = df[column].astype("float64")
        elif pd.api.types.is_object_dtype(dtype):
            df[column] = df[column].where(df[column].notna(), None)
    return df
