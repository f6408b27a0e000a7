"""Restating a month writes v2 with a diff against v1; v1 stays readable, even while it is held open."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import duckdb

from orchestration.publication import audit_release, current_version, existing_versions, read_manifest
from tests.publication.conftest import snapshot
from tests.publication.warehouse import HCM, HN

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
total = lambda: con.execute("select sum(total_points) from marts.rpt_rankings").fetchall()[0][0]
print(total(), flush=True)
sys.stdin.readline()
print(total(), flush=True)
"""


def test_restatement_writes_v2_with_a_diff_and_leaves_v1_as_it_was(home):
    v1 = home.publish()
    v1_files = {k: v for k, v in snapshot(home.releases_dir).items() if k.startswith("2025-07/v1")}
    v2 = home.publish(home.build("restated.duckdb", restated=True))

    assert (v2.version, v2.status, v2.previous_version) == (2, "published", 1)
    assert (home.releases_dir / "2025-07" / "CURRENT").read_bytes() == b"v2\n"
    assert existing_versions(home.releases_dir, "2025-07") == [1, 2]
    assert {k: v for k, v in snapshot(home.releases_dir).items() if k.startswith("2025-07/v1")} == v1_files
    assert audit_release(v1.path) == [] and audit_release(v2.path) == []

    diff = json.loads(v2.diff_path.read_text(encoding="utf-8"))
    # By hand: Hồ Chí Minh's on-time numerator 80 → 95 of 100: points 8.00 → 9.50, total 14.00 → 15.50, and it
    # overtakes Hà Nội (15.00, unchanged) in the provinces group.
    assert diff["from_version"] == 1 and diff["to_version"] == 2
    assert diff["tables_changed"] == ["fct_criterion_values", "fct_unit_scores", "rpt_rankings"]
    assert diff["units_changed"] == [
        {
            "unit_id": HN,
            "unit_name": "Thành phố Hà Nội",
            "peer_group": "provinces",
            "change": "changed",
            "total_points": {"before": 15.0, "after": 15.0},
            "competition_rank": {"before": 1, "after": 2},
            "band_code": {"before": "YEU", "after": "YEU"},
        },
        {
            "unit_id": HCM,
            "unit_name": "Thành phố Hồ Chí Minh",
            "peer_group": "provinces",
            "change": "changed",
            "total_points": {"before": 14.0, "after": 15.5},
            "competition_rank": {"before": 2, "after": 1},
            "band_code": {"before": "YEU", "after": "YEU"},
        },
    ]
    assert diff["criteria_changed"] == [
        {
            "unit_id": HCM,
            "criterion_code": "ON_TIME_RATE",
            "input_source": "records",
            "group_code": "TDGQ",
            "change": "changed",
            "numerator": {"before": 80.0, "after": 95.0},
            "denominator": {"before": 100.0, "after": 100.0},
            "points": {"before": 8.0, "after": 9.5},
            "value_state": {"before": "scored", "after": "scored"},
        }
    ]
    raw_csv = (v2.path / "diff.csv").read_bytes()
    assert raw_csv.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw_csv.decode("utf-8-sig"), newline=""))) == [
        ["kind", "unit_id", "criterion_code", "input_source", "field", "before", "after"],
        ["unit", HN, "", "", "competition_rank", "1", "2"],
        ["unit", HCM, "", "", "total_points", "14.00", "15.50"],
        ["unit", HCM, "", "", "competition_rank", "2", "1"],
        ["criterion", HCM, "ON_TIME_RATE", "records", "numerator", "80.0", "95.0"],
        ["criterion", HCM, "ON_TIME_RATE", "records", "points", "8.00", "9.50"],
    ]
    manifest = read_manifest(v2.path)
    assert manifest["previous_version"] == 1
    assert manifest["diff"] == {"against_version": 1, "json": "diff.json", "csv": "diff.csv"}
    assert {"diff.json", "diff.csv"} <= set(manifest["outputs"])

    # Publishing the restated data again changes nothing; v1 is still queryable.
    again = home.publish(home.build("restated-again.duckdb", restated=True))
    assert (again.version, again.status) == (2, "unchanged")
    con = duckdb.connect(str(v1.path / "published.duckdb"), read_only=True)
    try:
        assert (
            str(con.execute("select sum(total_points) from marts.rpt_rankings").fetchall()[0][0]) == "41.00"
        )
    finally:
        con.close()


def test_a_reader_holding_v1_open_keeps_reading_while_v2_is_published(home):
    v1 = home.publish()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(v1.path / "published.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "41.00"  # 15.00 + 14.00 + 12.00
        v2 = home.publish(home.build("restated.duckdb", restated=True))
        out, err = reader.communicate("go\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    assert out.strip() == "41.00"
    assert current_version(home.releases_dir, "2025-07") == 2
    con = duckdb.connect(str(v2.path / "published.duckdb"), read_only=True)
    try:
        assert (
            str(con.execute("select sum(total_points) from marts.rpt_rankings").fetchall()[0][0]) == "42.50"
        )
    finally:
        con.close()
