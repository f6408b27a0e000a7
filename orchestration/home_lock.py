"""One writer at a time in a home: the lock files under `$DVC_INDEX_HOME/locks/`.

DuckDB lets one process write the warehouse file, and a feed's month is landed into one in-progress folder, so two
runs on the same home must not overlap there. Each lock is a file held with `flock`: the kernel releases it when
its holder ends, however it ends, so a lock left by a crashed or killed run is recovered by the next one (the
record of the ended holder is reported and replaced). The file says who holds it (PID, host, what it runs, since
when), for the message the second run shows.

- `home.lock`: the warehouse and the releases. `dvc-index run` / `backfill` hold it for the whole run (and exit
  at once if another run holds it, unless --wait); the dbt, gate and release assets take it too, so that a run
  Dagster launches (a schedule, a backfill from the UI) waits for a CLI run or another Dagster run, step by step.
- `extract-<dataset>-<period>.lock`: one feed's month being landed (its in-progress folder is resumed by the next
  extraction, so two at once would write into the same one).

A process that holds a lock takes it again without waiting (the CLI holds `home.lock`, and the assets it runs in
its own process take it again); it is released when the outermost holder lets it go.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import env_number

LOCKS_DIR = "locks"
HOME_LOCK = "home"
WAIT_ENV = "DVC_INDEX_LOCK_WAIT_SECONDS"
DEFAULT_ASSET_WAIT_SECONDS = 6 * 3600
POLL_SECONDS = 0.25
CLI_ADVICE = "Wait for it to end, or run again with --wait to start when it has."
STEP_ADVICE = f"Run this step again when it has ended, or let steps wait longer ({WAIT_ENV})."
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

_held: dict[str, list[int]] = {}  # lock path -> [fd, depth], this process's holds
_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a lock, as its file records it."""

    pid: int | None
    host: str
    purpose: str
    since: str

    def describe(self) -> str:
        pid = f"PID {self.pid}" if self.pid else "an unknown process"
        return f"{self.purpose or 'another run'} ({pid} on {self.host or 'an unknown host'}, since {self.since or '?'})"

    def is_alive(self) -> bool:
        """Whether the recorded process still runs (on this host); unknown holders count as alive."""
        if not self.pid or self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class HomeBusy(RuntimeError):
    """Another process holds the lock: the message names it and says what to do."""

    def __init__(self, lock: Path, holder: Holder, waited: float | None = None, advice: str = CLI_ADVICE) -> None:
        self.lock, self.holder = lock, holder
        home = lock.parent.parent
        waited_text = f" after waiting {waited:.0f} s" if waited else ""
        super().__init__(f"{home} is in use{waited_text}: {holder.describe()} holds {lock}. {advice}")


def lock_path(home: Path, name: str) -> Path:
    """The lock file `name` of a home; `name` is checked, as it may carry a dataset or period from elsewhere."""
    if not _NAME.match(name):
        raise ValueError(f"invalid lock name {name!r}: lower-case letters, digits, '.', '_' and '-' only")
    return Path(home) / LOCKS_DIR / f"{name}.lock"


def read_holder(path: Path) -> Holder:
    try:
        record = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        record = {}
    pid = record.get("pid")
    return Holder(
        pid=pid if isinstance(pid, int) else None,
        host=str(record.get("host", "")),
        purpose=str(record.get("purpose", "")),
        since=str(record.get("since", "")),
    )


@contextlib.contextmanager
def hold(
    home: Path, name: str, purpose: str, *, wait: float | None = 0.0,
    on_wait: Callable[[Holder], None] | None = None, on_stale: Callable[[Holder], None] | None = None,
    advice: str = CLI_ADVICE,
) -> Iterator[Path]:
    """Hold the lock `name` of `home` while the block runs.

    `wait`: seconds to wait for another holder (0: raise HomeBusy at once; None: without limit). `on_wait` is
    called once, with the holder, when the lock is found held; `on_stale` when the file names a holder that has
    ended (its lock was released with it: recovered)."""
    path = lock_path(home, name)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _guard:
                _held[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, wait, on_wait, advice)
        previous = read_holder(path)
        if previous.pid and previous.pid != os.getpid() and not previous.is_alive() and on_stale:
            on_stale(previous)
        _record(fd, purpose)
        with _guard:
            _held[key] = [fd, 1]
        try:
            yield path
        finally:
            with _guard:
                _held.pop(key, None)
            os.ftruncate(fd, 0)  # released: the file no longer names a holder
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(
    fd: int, path: Path, wait: float | None, on_wait: Callable[[Holder], None] | None, advice: str,
) -> None:
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = read_holder(path)
            waited = time.monotonic() - started
            if wait is not None and waited >= wait:
                raise HomeBusy(path, holder, waited if wait else None, advice) from None
            if not told and on_wait:
                on_wait(holder)
                told = True
            time.sleep(POLL_SECONDS)


def _record(fd: int, purpose: str) -> None:
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "purpose": purpose,
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "argv": [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else [],
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record, ensure_ascii=False).encode("utf-8"), 0)


def asset_wait_seconds() -> float:
    """How long a Dagster step waits for another run's lock (DVC_INDEX_LOCK_WAIT_SECONDS, default 6 hours)."""
    return env_number(WAIT_ENV, DEFAULT_ASSET_WAIT_SECONDS, whole=False, minimum=0, unit="seconds")


@contextlib.contextmanager
def step_lock(home: Path, name: str, purpose: str, report: Callable[[str], None]) -> Iterator[Path]:
    """A Dagster step's hold: waits for another run (up to asset_wait_seconds()), saying whom it waits for."""
    started = time.monotonic()

    def waiting(holder: Holder) -> None:
        report(f"{purpose}: waiting for {holder.describe()}, which holds {lock_path(home, name)}")

    def stale(holder: Holder) -> None:
        report(f"{purpose}: recovered the lock {lock_path(home, name)} left by {holder.describe()}, which has ended")

    with hold(home, name, purpose, wait=asset_wait_seconds(), on_wait=waiting, on_stale=stale,
              advice=STEP_ADVICE) as path:
        waited = time.monotonic() - started
        if waited >= 1:
            report(f"{purpose}: lock taken after {waited:.0f} s")
        yield path
