"""The raw files a release is built from: every complete extraction in the landing zone at publication time.

A month's marts read its own records, the lookback months of the rule table, the previous month (previous values
and ranks) and the latest version of every unit (dim_units is published whole). Naming every complete extraction
is what makes `dvc-index reproduce` rebuild the same warehouse state; extractions still in progress
(`_inprogress/`) are not inputs. The landing zone is immutable, so the list only grows.
"""

from __future__ import annotations

from pathlib import Path


def release_inputs(raw_dir: Path) -> list[Path]:
    """Every file of every complete extraction under raw_dir, sorted."""
    files = [
        path
        for path in raw_dir.glob("*/period=*/extracted_at=*/*")
        if path.is_file() and not path.name.endswith(".tmp")
    ]
    if not files:
        raise FileNotFoundError(f"no complete extraction under {raw_dir}: extract the month first (dvc-index run)")
    return sorted(files)
