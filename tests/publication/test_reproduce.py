"""A release is reproduced from the raw files its manifest names; a changed raw file or rebuild is caught."""

from __future__ import annotations

from pathlib import Path

from orchestration.publication import reproduce
from tests.publication.warehouse import MONTH, build_warehouse

LANDED = "dossiers/period=2025-07/extracted_at=20250805T010000000000Z"
INPUTS = [f"{LANDED}/manifest.json", f"{LANDED}/part-00000.parquet"]


class Rebuild:
    """The caller's rebuild: a warehouse from the raw tree it is given (and a record of what it saw)."""

    def __init__(self, **warehouse_options):
        self.options = warehouse_options
        self.seen: list[list[str]] = []

    def __call__(self, raw_dir: Path, warehouse_path: Path) -> None:
        self.seen.append(sorted(p.relative_to(raw_dir).as_posix() for p in raw_dir.rglob("*") if p.is_file()))
        build_warehouse(raw_dir, warehouse_path, **self.options)


def test_reproducing_a_release_from_its_raw_files_gives_the_same_hashes(home):
    # A file landed later in the raw zone must not reach the rebuild: it gets exactly the manifest's inputs.
    (home.raw_dir / "dossiers" / "period=2025-08").mkdir(parents=True)
    (home.raw_dir / "dossiers" / "period=2025-08" / "later.parquet").write_bytes(b"not an input")
    release = home.publish()
    rebuild = Rebuild()
    result = reproduce(MONTH, release.version, rebuild, releases_dir=home.releases_dir, raw_dir=home.raw_dir)
    assert rebuild.seen == [INPUTS]
    assert result.ok and result.rebuilt
    assert (result.mismatches, result.missing_inputs, result.changed_inputs) == ((), (), ())
    assert result.outputs_compared == 21  # 7 Parquet + 7 CSV + 7 DuckDB table contents


def test_a_rebuild_that_differs_is_reported_table_by_table(home):
    release = home.publish()
    result = reproduce(MONTH, 1, Rebuild(restated=True), releases_dir=home.releases_dir, raw_dir=home.raw_dir)
    assert not result.ok and result.rebuilt
    expected = release.manifest["reproducible_outputs"]
    assert [m.output for m in result.mismatches] == sorted(
        f"{kind}" for t in ("fct_criterion_values", "fct_unit_scores", "rpt_rankings")
        for kind in (f"csv/{t}.csv", f"parquet/{t}.parquet", f"published.duckdb#marts.{t}")
    )  # fmt: skip
    for mismatch in result.mismatches:
        assert mismatch.expected_sha256 == expected[mismatch.output]
        assert mismatch.actual_sha256 not in (None, mismatch.expected_sha256)


def test_a_changed_raw_file_is_detected_before_any_rebuild(home):
    home.publish()
    part = home.raw_dir / LANDED / "part-00000.parquet"
    part.write_bytes(part.read_bytes() + b"\0")
    rebuild = Rebuild()
    result = reproduce(MONTH, 1, rebuild, releases_dir=home.releases_dir, raw_dir=home.raw_dir)
    assert (result.ok, result.rebuilt, result.changed_inputs, result.missing_inputs) == (
        False, False, (f"{LANDED}/part-00000.parquet",), (),
    )  # fmt: skip
    assert rebuild.seen == []


def test_a_missing_raw_file_is_detected(home):
    home.publish()
    (home.raw_dir / LANDED / "manifest.json").unlink()
    result = reproduce(MONTH, 1, Rebuild(), releases_dir=home.releases_dir, raw_dir=home.raw_dir)
    assert (result.ok, result.missing_inputs) == (False, (f"{LANDED}/manifest.json",))
