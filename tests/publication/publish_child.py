"""Publish a month in a child process (python -m tests.publication.publish_child '<json arguments>').

The crash tests run it with DVC_INDEX_CRASH_AT set, so the publication dies at a named point as a killed process
would, and then check what it left on disk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from orchestration.publication import CheckResult, publish_release


def main() -> None:
    args = json.loads(sys.argv[1])
    release = publish_release(
        args["warehouse"],
        args["month"],
        releases_dir=Path(args["releases_dir"]),
        raw_dir=Path(args["raw_dir"]),
        input_files=[Path(p) for p in args["input_files"]],
        checks=[CheckResult("dbt_tests", True)],
        report_html=b"<html></html>",
    )
    print(json.dumps({"version": release.version, "status": release.status}))


if __name__ == "__main__":
    main()
