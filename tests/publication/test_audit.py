"""A release that fails its audit is never published: earlier releases and CURRENT stay byte-identical."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from orchestration.publication import ReleaseAuditError, audit_release, personal_data_columns
from orchestration.publication import publisher as publisher_module
from orchestration.publication.files import sha256_file
from tests.publication.conftest import snapshot, staging_leftovers
from tests.publication.warehouse import HCM

CANARY = "tok-CANARY-8d1f2c"


def test_a_file_corrupted_between_writing_and_audit_stops_the_publication(home, monkeypatch):
    home.publish()
    before = snapshot(home.releases_dir)
    real_fault_point = publisher_module.fault_point

    def corrupt_before_audit(name, path=None):
        if name == "before_audit":
            target = path / "csv" / "dim_units.csv"
            target.chmod(0o644)
            target.write_bytes(target.read_bytes().replace("Hà Nội".encode(), b"Ha Noi"))
        real_fault_point(name, path)

    monkeypatch.setattr(publisher_module, "fault_point", corrupt_before_audit)
    with pytest.raises(ReleaseAuditError) as failure:
        home.publish(home.build("restated.duckdb", restated=True))
    assert "csv/dim_units.csv: SHA-256 differs from the manifest" in failure.value.problems
    assert snapshot(home.releases_dir) == before
    assert staging_leftovers(home.releases_dir) == []


def test_a_personal_data_column_stops_the_first_publication_of_a_month(home):
    leaky = home.build(
        "leaky.duckdb", extra_sql=["alter table marts.fct_unit_scores add column so_dien_thoai varchar"]
    )
    with pytest.raises(ReleaseAuditError) as failure:
        home.publish(leaky)
    problems = failure.value.problems
    for where in (
        "parquet/fct_unit_scores.parquet",
        "csv/fct_unit_scores.csv",
        "published.duckdb:fct_unit_scores",
    ):
        assert f"{where}: column 'so_dien_thoai' looks like personal data (phone number)" in problems
    assert len(problems) == 3
    assert snapshot(home.releases_dir) == {}  # not even the month's folder
    assert staging_leftovers(home.releases_dir) == []


def test_a_personal_data_column_in_a_restatement_leaves_the_earlier_release_and_current(home):
    home.publish()
    before = snapshot(home.releases_dir)
    leaky = home.build(
        "leaky.duckdb", restated=True, extra_sql=["alter table marts.dim_units add column ChuHoSo varchar"]
    )
    with pytest.raises(ReleaseAuditError, match="ChuHoSo"):
        home.publish(leaky)
    assert snapshot(home.releases_dir) == before


def test_personal_data_patterns_catch_the_portals_fields_and_spare_the_marts_columns():
    flagged = personal_data_columns(
        ["ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "DiaChi", "applicant_name", "applicant_key",
         "applicant_phone", "applicant_address", "citizen_id", "cccd", "email"]
    )  # fmt: skip
    assert [c for c, _ in flagged] == [
        "ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "DiaChi", "applicant_name", "applicant_key",
        "applicant_phone", "applicant_address", "citizen_id", "cccd", "email",
    ]  # fmt: skip
    marts_columns = [
        "unit_id", "unit_name", "unit_type", "parent_unit_id", "administrative_code", "department_id",
        "department_name", "evaluation_department_id", "applicant_types", "dossiers_received", "peer_group_unit_id",
        "is_applicant_verified_with_vneid", "successor_unit_id", "input_source", "records_numerator",
    ]  # fmt: skip
    assert personal_data_columns(marts_columns) == []


def all_release_text(releases_dir) -> list[tuple[str, str]]:
    """Every release file's bytes as text, and the decoded strings of every Parquet file."""
    found = []
    for path in sorted(releases_dir.rglob("*")):
        if path.is_file():
            found.append((str(path), path.read_bytes().decode("utf-8", "replace")))
            if path.suffix == ".parquet":
                found.append((f"{path} (decoded)", repr(pq.read_table(path).to_pylist())))
    return found


def test_the_token_canary_never_reaches_a_release(home, monkeypatch):
    monkeypatch.setenv("PORTAL_TOKEN", CANARY)
    home.publish()
    home.publish(home.build("restated.duckdb", restated=True))
    assert [where for where, text in all_release_text(home.releases_dir) if CANARY in text] == []


def test_a_token_in_the_data_fails_the_audit_without_printing_it(home, monkeypatch):
    monkeypatch.setenv("PORTAL_TOKEN", CANARY)
    home.publish()
    before = snapshot(home.releases_dir)
    leaky = home.build(
        "leaky.duckdb",
        restated=True,
        extra_sql=[
            f"update marts.dim_units set unit_name = unit_name || ' {CANARY}' where unit_id = '{HCM}'"
        ],
    )
    with pytest.raises(ReleaseAuditError) as failure:
        home.publish(leaky)
    problems = failure.value.problems
    # Found in the CSV's bytes, and in the decoded Parquet and DuckDB (compressed: a byte scan could miss them).
    assert "csv/dim_units.csv: contains the PORTAL_TOKEN value" in problems
    assert "parquet/dim_units.parquet: contains the PORTAL_TOKEN value" in problems
    assert "published.duckdb: table dim_units contains the PORTAL_TOKEN value" in problems
    assert CANARY not in str(failure.value)
    assert snapshot(home.releases_dir) == before
    assert [where for where, text in all_release_text(home.releases_dir) if CANARY in text] == []


def test_a_token_in_the_callers_quality_report_fails_the_audit(home, monkeypatch):
    monkeypatch.setenv("PORTAL_TOKEN", CANARY)
    with pytest.raises(ReleaseAuditError, match=r"quality/run\.log: contains the PORTAL_TOKEN value"):
        home.publish(quality={"run.log": f"GET /api?token={CANARY}".encode()})
    assert snapshot(home.releases_dir) == {}


def test_the_audit_detects_a_row_count_that_disagrees_with_the_manifest(home, tmp_path):
    """The audit re-reads the tables: a Parquet file rewritten with a row less, and its hash updated in the
    manifest, still fails on the row count."""
    release = home.publish()
    copy = tmp_path / "copy"
    shutil.copytree(release.path, copy)
    for path in copy.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    table = pq.read_table(copy / "parquet" / "rpt_rankings.parquet")
    pq.write_table(table.slice(0, 2), copy / "parquet" / "rpt_rankings.parquet")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    rel = "parquet/rpt_rankings.parquet"
    manifest["outputs"][rel] = {"bytes": (copy / rel).stat().st_size, "sha256": sha256_file(copy / rel)}
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    problems = audit_release(copy)
    assert "parquet/rpt_rankings.parquet: 2 rows, the manifest says 3" in problems


def test_a_page_that_loads_from_a_cdn_is_never_published(home):
    """GX's Data Docs load bootstrap and jQuery from CDNs, and showed an unstyled page offline: a release page
    that loads anything from the network fails the audit, naming the file and what it loads."""
    data_docs = (
        '<html><head><link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css">'
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script></head><body></body></html>'
    )
    with pytest.raises(ReleaseAuditError) as failure:
        home.publish(quality={"index.html": data_docs.encode()})
    message = str(failure.value)
    assert ("quality/index.html: loads <link href> https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/"
            "bootstrap.min.css from the network") in message
    assert "quality/index.html: loads <script src> https://code.jquery.com/jquery-3.7.1.min.js" in message
    assert snapshot(home.releases_dir) == {}


@pytest.mark.parametrize(
    ("text", "loads"),
    [
        ('<a href="https://dichvucong.gov.vn">Cổng</a><svg xmlns="http://www.w3.org/2000/svg"></svg>', []),
        ('<img src="charts/a.png"><img src="data:image/png;base64,AAAA"><link rel="canonical" href="https://x.vn/">', []),
        ('<img src="//cdn.example.com/a.png">', ["<img src> //cdn.example.com/a.png"]),
        ('<img srcset="a.png 1x, https://cdn.example.com/b.png 2x">', ["<img srcset> https://cdn.example.com/b.png"]),
        ('<link rel="icon" href="http://example.com/favicon.ico">', ["<link href> http://example.com/favicon.ico"]),
        ('<svg><use xlink:href="https://example.com/s.svg#i"/></svg>', ["<use xlink:href> https://example.com/s.svg#i"]),
        ("<style>@import 'https://fonts.googleapis.com/css?family=Roboto'; b { background: url(a.png) }</style>",
         ["<style> https://fonts.googleapis.com/css?family=Roboto"]),
        ('<div style="background:url( \'https://example.com/bg.jpg\' )"></div>', ["<div style> https://example.com/bg.jpg"]),
        ("<script>fetch('https://example.com/data.json')</script>", ["<script> https://example.com/data.json"]),
    ],
)
def test_what_a_page_loads_from_the_network(text, loads):
    from orchestration.publication.offline import html_loads

    assert html_loads(text) == loads


def test_stylesheets_and_scripts_of_a_release_are_scanned_too(tmp_path):
    from orchestration.publication.offline import network_loads

    (tmp_path / "quality").mkdir()
    (tmp_path / "quality" / "style.css").write_text("@font-face { src: url(https://example.com/f.woff2) }")
    (tmp_path / "quality" / "app.js").write_text("const u = `https://example.com/api`;")
    (tmp_path / "data.csv").write_text("url\nhttps://example.com/not-a-page\n")
    assert network_loads(tmp_path) == [
        "quality/app.js: loads script https://example.com/api from the network; a release must open offline",
        "quality/style.css: loads url() https://example.com/f.woff2 from the network; a release must open offline",
    ]
