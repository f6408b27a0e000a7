"""What a month's run tells its user while it works: one line per step of progress, stage by stage.

Each stage reports through `report(context, message)`: the message goes to the Dagster event log (the UI shows it
beside the step) and to the `dvc_index.progress` logger, which `dvc-index` prints on the terminal as
`HH:MM:SS message`. By default that is all the terminal shows, with Dagster's console at WARNING and dbt's own
line per node kept out (dbt still writes its log file); `dvc-index -v` (DVC_INDEX_VERBOSE=1 for the run) shows
Dagster's and dbt's full output instead.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import time
from collections.abc import Callable

PROGRESS_LOGGER = "dvc_index.progress"
VERBOSE_ENV = "DVC_INDEX_VERBOSE"
_progress = logging.getLogger(PROGRESS_LOGGER)


def verbose() -> bool:
    """Whether the run shows Dagster's and dbt's full output (DVC_INDEX_VERBOSE=1)."""
    return os.environ.get(VERBOSE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def report(context, message: str) -> None:
    """One line of progress: to the run's event log (when there is a Dagster context) and to the terminal."""
    if context is not None:
        context.log.info(message)
    _progress.info(message)


def show_progress_on(stream=None) -> None:
    """Print the progress lines on `stream` (default stderr), once, without the logging prefix."""
    if any(getattr(h, "_dvc_index_progress", False) for h in _progress.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    handler._dvc_index_progress = True  # type: ignore[attr-defined]
    _progress.addHandler(handler)
    _progress.setLevel(logging.INFO)
    _progress.propagate = False


def rate(count: int, seconds: float) -> str:
    """'12,345/s', or '' for a count too quick to time."""
    return f"{count / seconds:,.0f}/s" if seconds > 0.05 else ""


# dbt's result line of a node: "12 of 254 OK created sql incremental model staging.x ... [OK in 0.52s]"
_DBT_RESULT = re.compile(r"^\s*\d+ of (\d+) (OK|PASS|WARN|FAIL|ERROR|SKIP)\b(.*)$")
_DBT_KIND = re.compile(r"\b(seed|model|unit_test|snapshot)\b")


class DbtProgress(io.TextIOBase):
    """Where dbt's lines go in a quiet run: counted, not printed. Every `every` of the nodes (and at the end) it
    reports how many of dbt's nodes are done, by kind, and a failing node at once with its line."""

    def __init__(self, say: Callable[[str], None], label: str, every: float = 0.1) -> None:
        self.say = say
        self.label = label
        self.every = every
        self.started = time.monotonic()
        self.total = 0
        self.done = 0
        self.failed = 0
        self.kinds: dict[str, int] = {}
        self._next = 0.0
        self._buffer = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        match = _DBT_RESULT.match(line)
        if not match:
            return
        self.total = int(match.group(1))
        self.done += 1
        kind = _DBT_KIND.search(match.group(3))
        # a test's line names no kind ("PASS not_null_x"), a model's and a seed's do ("OK created sql ... model")
        name = kind.group(1) if kind else ("test" if match.group(2) in ("PASS", "WARN", "FAIL") else "other")
        self.kinds[name] = self.kinds.get(name, 0) + 1
        if match.group(2) in ("FAIL", "ERROR"):
            self.failed += 1
            self.say(f"{self.label}: {line.strip()}")
        if self.done >= self.total or self.done / self.total >= self._next:
            self._next = self.done / self.total + self.every
            self.say(self.summary())

    def summary(self) -> str:
        kinds = ", ".join(f"{count} {kind}s" for kind, count in sorted(self.kinds.items()))
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"{self.label}: {self.done} of {self.total} dbt nodes done ({kinds}{failed}) in "
                f"{time.monotonic() - self.started:.0f} s")
