"""The audit of a release folder: re-read every file and check it against the manifest before publishing.

- every file the manifest lists exists with its size and SHA-256, and no other file is there;
- each table's Parquet, CSV and `published.duckdb` copy hold the manifest's row count and columns, and the
  DuckDB copy's content hashes are the manifest's;
- no column name looks like personal data (applicants' names, ID numbers, phones, addresses never leave
  staging);
- no file holds a secret's value (PORTAL_TOKEN): raw bytes of every file, and the decoded strings of the
  compressed formats (Parquet, DuckDB), where a byte scan would miss it;
- no page, stylesheet or script loads anything from the network (orchestration/publication/offline.py): a
  release opens fully offline.

Problems name the file and what is wrong, never the secret itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.publication.export import (
    PUBLISHED_DUCKDB,
    PUBLISHED_SCHEMA,
    UTF8_BOM,
    published_content_hashes,
)
from orchestration.publication.files import list_files, sha256_file
from orchestration.publication.layout import MANIFEST
from orchestration.publication.manifest import data_fingerprint, read_manifest
from orchestration.publication.offline import network_loads
from orchestration.publication.spec import TableSpec

# Column names (lower-cased, non-alphanumerics as "_") that would carry personal data: the portal's dossier
# fields ChuHoSo, SoGiayToChuHoSo, SoDienThoai, DiaChi (PORTAL_API.md) and their English equivalents.
# applicant_key (a salted hash of the ID number) is pseudonymous personal data: it stays in staging too.
PERSONAL_DATA_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "applicant name",
        r"chu_?ho_?so|ho_?ten|full_?name|(applicant|citizen|person|requester)_?name|nguoi_?nop",
    ),
    (
        "applicant ID number",
        r"so_?giay_?to|id_?number|national_?id|citizen_?id|applicant_?(id|key)|(^|_)(cccd|cmnd)(_|$)|passport"
        r"|ho_?chieu|identity",
    ),
    ("phone number", r"phone|dien_?thoai|mobile|(^|_)sdt(_|$)"),
    ("address", r"address|dia_?chi|e_?mail"),
)
_COMPILED = tuple((label, re.compile(pattern)) for label, pattern in PERSONAL_DATA_PATTERNS)


def personal_data_columns(columns: Iterable[str]) -> list[tuple[str, str]]:
    """(column, what it looks like) for each column whose name matches a personal-data pattern."""
    found = []
    for column in columns:
        normalised = re.sub(r"[^0-9a-z]+", "_", column.lower())
        for label, pattern in _COMPILED:
            if pattern.search(normalised):
                found.append((column, label))
                break
    return found


def _file_contains(path: Path, needle: bytes) -> bool:
    overlap = len(needle) - 1
    tail = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if needle in tail + chunk:
                return True
            tail = chunk[-overlap:] if overlap else b""
    return False


def _arrow_contains(table: pa.Table, secret: str) -> bool:
    if any(secret in name for name in table.column_names):
        return True
    for column in table.columns:
        is_text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if is_text and pc.any(pc.match_substring(column, secret)).as_py():
            return True
    return False


def _duckdb_contains(con: duckdb.DuckDBPyConnection, table: str, secret: str) -> bool:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
        [PUBLISHED_SCHEMA, table],
    ).fetchall()
    for name, data_type in columns:
        if secret in name:
            return True
        if data_type == "VARCHAR":
            quoted = '"' + name.replace('"', '""') + '"'
            hits = con.execute(
                f'select count(*) from {PUBLISHED_SCHEMA}."{table}" where contains({quoted}, ?)', [secret]
            ).fetchall()[0][0]
            if hits:
                return True
    return False


def verify_files(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Every listed output is there with its size and SHA-256, and nothing else is in the folder."""
    problems = []
    outputs: dict[str, dict[str, Any]] = manifest.get("outputs", {})
    on_disk = set(list_files(folder)) - {MANIFEST}
    for rel in sorted(on_disk - set(outputs)):
        problems.append(f"{rel}: not listed in the manifest")
    for rel, expected in sorted(outputs.items()):
        path = folder / rel
        if rel not in on_disk:
            problems.append(f"{rel}: listed in the manifest but missing")
            continue
        if path.stat().st_size != expected["bytes"]:
            problems.append(f"{rel}: {path.stat().st_size} bytes, the manifest says {expected['bytes']}")
        if sha256_file(path) != expected["sha256"]:
            problems.append(f"{rel}: SHA-256 differs from the manifest")
    reproducible = manifest.get("reproducible_outputs", {})
    for rel, digest in reproducible.items():
        if rel in outputs and outputs[rel]["sha256"] != digest:
            problems.append(f"{rel}: reproducible hash differs from the output hash")
    if data_fingerprint(reproducible) != manifest.get("data_fingerprint"):
        problems.append(f"{MANIFEST}: data_fingerprint does not match the reproducible outputs")
    return problems


def _csv_shape(path: Path, columns: list[str]) -> tuple[bool, list[str], int]:
    """(starts with a BOM, header, number of data rows) of a CSV file, parsed again as strict UTF-8 text."""
    with path.open("rb") as fh:
        has_bom = fh.read(len(UTF8_BOM)) == UTF8_BOM
    # Every column read as text: the audit counts and decodes, it does not infer types.
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()), check_utf8=True)
    table = pa_csv.read_csv(path, convert_options=convert)
    return has_bom, table.column_names, table.num_rows


def verify_tables(folder: Path, manifest: dict[str, Any], secrets: Sequence[str]) -> list[str]:
    """Row counts, columns, personal data and decoded secrets in the Parquet, CSV and DuckDB copies."""
    problems = []
    specs = tuple(TableSpec.from_json(t) for t in manifest["tables"])
    columns_seen: dict[str, set[str]] = {}
    duckdb_path = folder / PUBLISHED_DUCKDB
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        in_duckdb = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [PUBLISHED_SCHEMA]
            ).fetchall()
        }
        if in_duckdb != {s.name for s in specs}:
            problems.append(f"{PUBLISHED_DUCKDB}: tables {sorted(in_duckdb)} differ from the manifest's")
        for entry in manifest["tables"]:
            name, rows = entry["name"], entry["rows"]
            columns = [c[0] for c in entry["columns"]]
            parquet = pq.read_table(folder / entry["parquet"])
            if parquet.num_rows != rows:
                problems.append(f"{entry['parquet']}: {parquet.num_rows} rows, the manifest says {rows}")
            if parquet.column_names != columns:
                problems.append(f"{entry['parquet']}: columns differ from the manifest's")
            has_bom, header, csv_rows = _csv_shape(folder / entry["csv"], columns)
            if not has_bom:
                problems.append(f"{entry['csv']}: does not start with a UTF-8 byte-order mark")
            if csv_rows != rows:
                problems.append(f"{entry['csv']}: {csv_rows} rows, the manifest says {rows}")
            if header != columns:
                problems.append(f"{entry['csv']}: header differs from the manifest's columns")
            if name in in_duckdb:
                db_rows = con.execute(f'select count(*) from {PUBLISHED_SCHEMA}."{name}"').fetchall()[0][0]
                if db_rows != rows:
                    problems.append(
                        f"{PUBLISHED_DUCKDB}: {name} has {db_rows} rows, the manifest says {rows}"
                    )
                db_columns = [
                    d[0]
                    for d in con.execute(f'select * from {PUBLISHED_SCHEMA}."{name}" limit 0').description
                ]
                columns_seen.setdefault(f"{PUBLISHED_DUCKDB}:{name}", set()).update(db_columns)
                for secret in secrets:
                    if _duckdb_contains(con, name, secret):
                        problems.append(f"{PUBLISHED_DUCKDB}: table {name} contains the PORTAL_TOKEN value")
            columns_seen.setdefault(entry["parquet"], set()).update(parquet.column_names)
            columns_seen.setdefault(entry["csv"], set()).update(header)
            for secret in secrets:
                if _arrow_contains(parquet, secret):
                    problems.append(f"{entry['parquet']}: contains the PORTAL_TOKEN value")
    finally:
        con.close()
    if not problems:
        expected = manifest["published_duckdb"]["content_sha256"]
        if published_content_hashes(duckdb_path, specs) != expected:
            problems.append(f"{PUBLISHED_DUCKDB}: table contents differ from the manifest's content hashes")
    for where, columns in sorted(columns_seen.items()):
        for column, label in personal_data_columns(sorted(columns)):
            problems.append(f"{where}: column {column!r} looks like personal data ({label})")
    return problems


def scan_for_secrets(folder: Path, secrets: Sequence[str]) -> list[str]:
    """Files whose raw bytes contain a secret's value (UTF-8)."""
    problems = []
    for rel in list_files(folder):
        for secret in secrets:
            if _file_contains(folder / rel, secret.encode("utf-8")):
                problems.append(f"{rel}: contains the PORTAL_TOKEN value")
    return problems


def audit_release(folder: Path, *, secrets: Sequence[str] = (), deep: bool = True) -> list[str]:
    """Problems found in a release folder (empty: it passes).

    `deep=False` checks the manifest and every file's hash only (no DuckDB is opened), which is how the
    publisher recognises a release that was renamed into place before a crash.
    """
    secrets = [s for s in secrets if s]
    try:
        manifest = read_manifest(folder)
        problems = verify_files(folder, manifest)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST}: unreadable or malformed ({type(exc).__name__})"]
    if not deep:
        return problems
    problems += scan_for_secrets(folder, secrets)
    problems += network_loads(folder, secrets)
    if any(not (folder / rel).is_file() for rel in manifest["outputs"]):
        return problems  # the tables cannot be read back; the missing files are already reported
    try:
        problems += verify_tables(folder, manifest, secrets)
    except (KeyError, TypeError) as exc:
        problems.append(f"{MANIFEST}: malformed ({type(exc).__name__})")
    except (OSError, ValueError, pa.ArrowException, duckdb.Error) as exc:
        # No exception text: it could quote file contents.
        problems.append(f"a release table could not be read back ({type(exc).__name__})")
    return problems
