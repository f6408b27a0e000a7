"""`python -m orchestration.quality --month YYYY-MM`: run the gate on the warehouse and print its verdict.

Exit code 0 when the month passes, 1 when a critical check failed. Thresholds come from the environment
(`DVC_INDEX_QUALITY_*`, see config.py), paths from the settings (DVC_INDEX_HOME, DUCKDB_PATH) unless given.
"""

from __future__ import annotations

import argparse
import sys

from orchestration.quality.gate import run_quality_gate
from orchestration.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--month", required=True, help="the month to judge, YYYY-MM")
    parser.add_argument("--duckdb", help="warehouse file (default: DUCKDB_PATH or $DVC_INDEX_HOME/warehouse.duckdb)")
    parser.add_argument("--previous-months", help="comma-separated YYYY-MM months for the volume baseline")
    parser.add_argument("--quality-dir", help="where runs are written (default: $DVC_INDEX_HOME/quality)")
    args = parser.parse_args(argv)
    settings = load_settings()
    result = run_quality_gate(
        args.duckdb or settings.duckdb_path,
        args.month,
        previous_months=args.previous_months.split(",") if args.previous_months else None,
        quality_dir=args.quality_dir or settings.quality_dir,
    )
    print(result.render())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
