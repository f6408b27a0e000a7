"""The counted pause of the cyclic garbage collector that extraction decodes pages under."""

from __future__ import annotations

import gc
import threading

from orchestration.gc_pause import gc_paused


def test_overlapping_pauses_keep_the_collector_off_until_the_last_ends():
    assert gc.isenabled()
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "a block still holds the pause"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_in_another_thread_counts_too_and_an_exception_ends_the_pause():
    inside, release = threading.Event(), threading.Event()

    def hold():
        with gc_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    try:
        with gc_paused():
            raise RuntimeError("decoding failed")
    except RuntimeError:
        pass
    assert not gc.isenabled(), "the other thread still holds the pause"
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_collector_disabled_beforehand_stays_disabled():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
