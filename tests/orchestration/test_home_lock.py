"""One writer at a time in a home (orchestration/home_lock.py): another process holding the lock is named, waited
for or refused; a lock whose holder was killed is recovered; lock names that could leave the locks folder are
refused; and the CLI's run exits at once with status 75, or waits with --wait."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestration import cli
from orchestration.home_lock import HOME_LOCK, HomeBusy, hold, lock_path, read_holder, step_lock
from orchestration.settings import load_settings

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.home_lock import hold
    home, name, release = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    with hold(home, name, "test holder " + name):
        print("held", flush=True)
        while not release.exists():
            time.sleep(0.05)
    print("released", flush=True)
    """
)


class Holder:
    """A process of its own that holds a lock until told to let it go (or is killed)."""

    def __init__(self, home: Path, name: str = HOME_LOCK) -> None:
        self.release = home / f"release-{name}"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(home), name, str(self.release)],
            cwd=REPO, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout.readline().strip() == "held"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def let_go(self) -> None:
        self.release.touch()

    def wait(self) -> int:
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def test_a_held_lock_is_refused_at_once_naming_its_holder(tmp_path):
    holder = Holder(tmp_path)
    try:
        with pytest.raises(HomeBusy) as busy, hold(tmp_path, HOME_LOCK, "second"):
            pytest.fail("took a lock another process holds")
        message = str(busy.value)
        assert f"PID {holder.pid}" in message
        assert "test holder home" in message
        assert str(lock_path(tmp_path, HOME_LOCK)) in message and "--wait" in message
    finally:
        holder.let_go()
        holder.wait()


def test_a_waiting_hold_starts_when_the_holder_ends(tmp_path):
    holder = Holder(tmp_path)
    seen = []

    def waiting(who):
        seen.append(who.pid)
        holder.let_go()  # the holder ends only once we are waiting

    with hold(tmp_path, HOME_LOCK, "second", wait=30, on_wait=waiting):
        assert holder.wait() == 0  # the holder has ended by the time we hold it
        assert read_holder(lock_path(tmp_path, HOME_LOCK)).purpose == "second"
        assert read_holder(lock_path(tmp_path, HOME_LOCK)).pid == os.getpid()
    assert seen == [holder.pid]
    assert read_holder(lock_path(tmp_path, HOME_LOCK)).pid is None  # released: the file names no holder


def test_a_wait_with_a_limit_gives_up_naming_the_holder(tmp_path):
    holder = Holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(HomeBusy, match=f"after waiting .*PID {holder.pid}"), hold(tmp_path, HOME_LOCK, "second", wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5
    finally:
        holder.let_go()
        holder.wait()


def test_the_lock_of_a_killed_holder_is_recovered(tmp_path):
    holder = Holder(tmp_path)
    dead = holder.pid
    holder.kill()  # no clean-up: the file still names it, but the kernel released its flock
    assert read_holder(lock_path(tmp_path, HOME_LOCK)).pid == dead
    stale = []
    with hold(tmp_path, HOME_LOCK, "after the crash", on_stale=lambda who: stale.append(who.pid)):
        assert read_holder(lock_path(tmp_path, HOME_LOCK)).purpose == "after the crash"
    assert stale == [dead]


def test_a_process_takes_its_own_lock_again_and_keeps_it_until_the_outermost_release(tmp_path):
    check = [sys.executable, "-c", (
        "import sys; from pathlib import Path; from orchestration.home_lock import hold, HomeBusy\n"
        "try:\n    with hold(Path(sys.argv[1]), 'home', 'probe'): print('free')\n"
        "except HomeBusy: print('busy')"
    ), str(tmp_path)]

    def probe() -> str:
        return subprocess.run(check, cwd=REPO, capture_output=True, text=True, timeout=60).stdout.strip()

    with hold(tmp_path, HOME_LOCK, "outer"):
        with hold(tmp_path, HOME_LOCK, "inner (an asset in the CLI's process)"):
            assert probe() == "busy"
        assert probe() == "busy"
        assert read_holder(lock_path(tmp_path, HOME_LOCK)).purpose == "outer"
    assert probe() == "free"


@pytest.mark.parametrize("name", ["../home", "extract-x/../../y", "", "Home", "a b", "extract-dossiers-2025-07'"])
def test_lock_names_that_could_leave_the_locks_folder_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="invalid lock name"):
        lock_path(tmp_path, name)


def test_a_step_waits_for_another_run_and_says_whom_it_waits_for(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_INDEX_LOCK_WAIT_SECONDS", "30")
    holder = Holder(tmp_path, "extract-dossiers-2025-07")
    lines = []

    def report(line):
        lines.append(line)
        holder.let_go()

    with step_lock(tmp_path, "extract-dossiers-2025-07", "extract dossiers 2025-07", report):
        pass
    assert holder.wait() == 0
    assert lines[0].startswith("extract dossiers 2025-07: waiting for test holder extract-dossiers-2025-07")
    assert f"PID {holder.pid}" in lines[0]


def test_a_step_gives_up_after_the_configured_wait(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_INDEX_LOCK_WAIT_SECONDS", "0.3")
    holder = Holder(tmp_path)
    try:
        with pytest.raises(HomeBusy, match=f"PID {holder.pid}.*DVC_INDEX_LOCK_WAIT_SECONDS"), step_lock(tmp_path, HOME_LOCK, "dbt 2025-07", lambda line: None):
            pass
    finally:
        holder.let_go()
        holder.wait()


def test_a_wait_that_is_not_a_number_is_refused_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_INDEX_LOCK_WAIT_SECONDS", "soon")
    refused = "DVC_INDEX_LOCK_WAIT_SECONDS must be a number of seconds, got 'soon'"
    with pytest.raises(ValueError, match=refused), step_lock(tmp_path, HOME_LOCK, "dbt 2025-07", lambda line: None):
        pass


def _run_args(**overrides) -> argparse.Namespace:
    values = dict(command="run", wait=False, portal_url=None, source="records", verbose=False)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_the_cli_exits_75_at_once_when_another_run_holds_the_home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DVC_INDEX_HOME", str(tmp_path))
    ran = []
    monkeypatch.setattr(cli, "_run_months_locked", lambda *a, **k: ran.append(a) or 0)
    holder = Holder(tmp_path)
    try:
        status = cli._run_months(_run_args(), load_settings(), ["2025-07"])
    finally:
        holder.let_go()
        holder.wait()
    assert status == cli.EXIT_BUSY == 75
    err = capsys.readouterr().err
    assert f"PID {holder.pid}" in err and "test holder home" in err and "--wait" in err
    assert ran == []  # nothing started: no simulator, no extraction


def test_the_cli_with_wait_runs_when_the_holder_ends(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DVC_INDEX_HOME", str(tmp_path))
    holder = Holder(tmp_path)
    calls = []

    def run_locked(args, settings, months, **kwargs):
        calls.append((months, read_holder(lock_path(tmp_path, HOME_LOCK)).purpose))
        return 0

    monkeypatch.setattr(cli, "_run_months_locked", run_locked)
    monkeypatch.setattr("orchestration.home_lock.POLL_SECONDS", 0.05)
    import threading

    threading.Timer(0.5, holder.let_go).start()
    status = cli._run_months(_run_args(wait=True), load_settings(), ["2025-06", "2025-07"])
    assert status == 0 and holder.wait() == 0
    assert calls == [(["2025-06", "2025-07"], "dvc-index run 2025-06 to 2025-07")]
    assert f"waiting: {tmp_path} is in use by test holder home (PID {holder.pid}" in capsys.readouterr().err


@pytest.mark.parametrize("month", ["2025-13", "25-07", "", "2025-07'; drop table x", "../..", "2025-7", "2025-07\n",
                                   "٢٠٢٥-07"])
def test_a_month_that_is_not_yyyy_mm_exits_2_and_writes_nothing(tmp_path, month):
    env = {**os.environ, "DVC_INDEX_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--month", month], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "is not a month: use YYYY-MM" in proc.stderr
    assert not (tmp_path / "home").exists()
