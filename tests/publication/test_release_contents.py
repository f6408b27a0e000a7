"""A first release: the manifest by hand, Excel-ready CSV, Parquet filtered and ordered, and idempotence."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.publication import CheckResult, ReleaseRefusedError, audit_release, current_version
from orchestration.settings import REPO_ROOT
from tests.publication.conftest import snapshot
from tests.publication.warehouse import BTP, HCM, HN, PHUONG, SO_TP, UNIT_NAMES

TABLES = (
    "dim_units",
    "dim_criteria",
    "fct_criterion_values",
    "fct_unit_scores",
    "rpt_rankings",
    "rpt_score_changes",
    "rpt_reconciliation",
)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_records_inputs_rules_code_checks_rows_and_every_output_hash(home):
    release = home.publish()
    assert (release.version, release.status, release.previous_version) == (1, "published", None)
    assert release.path == home.releases_dir / "2025-07" / "v1"
    assert (home.releases_dir / "2025-07" / "CURRENT").read_bytes() == b"v1\n"
    m = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))

    assert m["month"] == "2025-07" and m["version"] == 1
    assert m["period"] == {"period_type": "month", "period_start": "2025-07-01"}
    assert m["created_at"] == "2025-08-05T03:00:00+00:00"
    # The raw part and its landing manifest, relative to the raw zone, sorted, hashed.
    landed = "dossiers/period=2025-07/extracted_at=20250805T010000000000Z"
    part, landing_manifest = home.input_files[1], home.input_files[0]
    assert m["inputs"]["files"] == [
        {
            "path": f"{landed}/manifest.json",
            "bytes": landing_manifest.stat().st_size,
            "sha256": sha(landing_manifest),
        },
        {"path": f"{landed}/part-00000.parquet", "bytes": part.stat().st_size, "sha256": sha(part)},
    ]
    # Only July's rule version, although dim_criteria (published whole) also holds 2024.01.
    assert m["rule_versions"] == ["2025.07"]
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert m["code_version"]["version"] == "0.1.0"
    assert m["code_version"]["git_commit"] == head.stdout.strip()
    assert m["checks"] == [
        {"name": "dbt_tests", "passed": True, "blocking": True, "detail": "42 passed"},
        {"name": "gx_checkpoint_marts", "passed": True, "blocking": True, "detail": ""},
        {
            "name": "quarantine_share_below_threshold",
            "passed": False,
            "blocking": False,
            "detail": "0.6% > 0.5% (warning)",
        },
    ]
    # Counted by hand from tests/publication/warehouse.py: July's month rows only; dimensions whole.
    assert {t["name"]: t["rows"] for t in m["tables"]} == {
        "dim_units": 5,
        "dim_criteria": 4,
        "fct_criterion_values": 8,
        "fct_unit_scores": 4,
        "rpt_rankings": 3,
        "rpt_score_changes": 2,
        "rpt_reconciliation": 3,
    }
    expected_files = (
        {f"parquet/{t}.parquet" for t in TABLES}
        | {f"csv/{t}.csv" for t in TABLES}
        | {"published.duckdb", "quality/index.html", "report.html"}
    )
    assert set(m["outputs"]) == expected_files
    for rel, entry in m["outputs"].items():
        assert entry == {"bytes": (release.path / rel).stat().st_size, "sha256": sha(release.path / rel)}, rel
    assert sorted(
        p.relative_to(release.path).as_posix() for p in release.path.rglob("*") if p.is_file()
    ) == sorted(expected_files | {"manifest.json"})
    # published.duckdb: its file hash is listed, its reproducible identity is each table's content hash,
    # which equals the CSV's hash when the copy is faithful.
    for t in TABLES:
        assert m["published_duckdb"]["content_sha256"][t] == m["outputs"][f"csv/{t}.csv"]["sha256"]
        assert (
            m["reproducible_outputs"][f"published.duckdb#marts.{t}"] == m["outputs"][f"csv/{t}.csv"]["sha256"]
        )
    assert "published.duckdb" not in m["reproducible_outputs"]
    assert len(m["reproducible_outputs"]) == 21
    canonical = json.dumps(m["reproducible_outputs"], sort_keys=True, separators=(",", ":")).encode()
    assert m["data_fingerprint"] == hashlib.sha256(canonical).hexdigest()
    assert m["attachments"] == {"quality": ["quality/index.html"], "report_html": "report.html"}
    assert m["diff"] is None
    assert audit_release(release.path) == []


def test_csv_starts_with_a_bom_and_round_trips_vietnamese_text(home):
    release = home.publish()
    raw = (release.path / "csv" / "dim_units.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [(r["unit_id"], r["unit_name"]) for r in rows] == [
        (BTP, "Bộ Tư pháp"),
        (HN, "Thành phố Hà Nội"),
        (HCM, "Thành phố Hồ Chí Minh"),
        (PHUONG, "Ủy ban nhân dân phường Ba Đình"),
        (SO_TP, "Sở Tư pháp thành phố Hà Nội"),
    ]
    assert {r["unit_id"]: r["unit_name"] for r in rows} == UNIT_NAMES
    assert rows[0]["parent_unit_id"] == "" and rows[4]["parent_unit_id"] == HN  # null is an empty cell
    scores = (release.path / "csv" / "fct_unit_scores.csv").read_bytes().decode("utf-8-sig")
    # Text quoted, numbers and dates bare, decimals with their scale, CRLF line ends.
    assert scores.split("\r\n")[0] == (
        '"unit_id","period_type","period_start","input_source","tttt_points","tdgq_points","total_points","band_code"'
    )
    assert f'"{HCM}","month",2025-07-01,"records",6.00,8.00,14.00,"YEU"' in scores.split("\r\n")


def test_parquet_and_published_duckdb_hold_the_months_rows_in_key_order(home):
    release = home.publish()
    values = pq.read_table(release.path / "parquet" / "fct_criterion_values.parquet").to_pylist()
    assert {(v["period_type"], v["period_start"].isoformat()) for v in values} == {("month", "2025-07-01")}
    assert [(v["unit_id"], v["criterion_code"], v["input_source"]) for v in values][:4] == [
        (BTP, "ONLINE_PAYMENT_RATE", "records"),
        (BTP, "ON_TIME_RATE", "records"),
        (HN, "ONLINE_PAYMENT_RATE", "portal_published"),
        (HN, "ONLINE_PAYMENT_RATE", "records"),
    ]
    recon = pq.read_table(release.path / "parquet" / "rpt_reconciliation.parquet").to_pylist()
    assert [r["unit_id"] for r in recon] == [HN, HN, None]  # the unknown department sorts last
    con = duckdb.connect(str(release.path / "published.duckdb"), read_only=True)
    try:
        rankings = con.execute(
            "select unit_id, competition_rank, dossiers_received from marts.rpt_rankings order by unit_id"
        ).fetchall()
    finally:
        con.close()
    assert rankings == [(BTP, 1, 1), (HN, 1, 2), (HCM, 2, 1)]  # dossiers counted from the raw zone


def test_publishing_identical_data_again_returns_the_existing_version_and_writes_nothing(home):
    first = home.publish()
    before = snapshot(home.releases_dir)
    again = home.publish(now=None)
    # A new warehouse file (DuckDB bytes differ) with the same tables gives the same release.
    rebuilt = home.publish(home.build("rebuilt.duckdb"))
    assert (again.version, again.status) == (1, "unchanged")
    assert (rebuilt.version, rebuilt.status, rebuilt.path) == (1, "unchanged", first.path)
    assert snapshot(home.releases_dir) == before
    assert current_version(home.releases_dir, "2025-07") == 1


def test_a_failed_blocking_check_refuses_publication_before_writing_anything(home):
    with pytest.raises(ReleaseRefusedError, match="gx_checkpoint_marts"):
        home.publish(checks=[CheckResult("dbt_tests", True), CheckResult("gx_checkpoint_marts", False)])
    assert not home.releases_dir.exists()


def test_an_open_warehouse_connection_can_be_passed_instead_of_a_path(home):
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        release = home.publish(con)
        assert con.execute("select count(*) from marts.dim_units").fetchall() == [(5,)]  # still open
    finally:
        con.close()
    assert release.version == 1 and audit_release(release.path) == []
