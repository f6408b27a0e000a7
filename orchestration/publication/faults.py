"""Named points in the publication where a test can kill the process, to prove every crash window is safe.

`DVC_INDEX_CRASH_AT=<point>` makes the process exit at once (os._exit: no cleanup, no flush, as a kill would)
when it reaches that point. Unset, a fault point does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

CRASH_ENV = "DVC_INDEX_CRASH_AT"
CRASH_EXIT_CODE = 86

# In the order the publisher passes them (see publisher.py for what each window leaves on disk).
POINTS = (
    "mid_write",
    "before_audit",
    "after_audit",
    "after_rename",
    "before_current",
    "mid_current",
    "after_current",
)


def fault_point(name: str, path: Path | None = None) -> None:
    """Exit abruptly if the environment asks for a crash at `name`; `path` is what is being worked on."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT_CODE)
