"""Pausing Python's cyclic garbage collector around bulk decoding.

Why: a 5,000-record page decodes into some 100,000 dicts and lists. Every 700 container allocations the cyclic
collector runs, and its older generations' runs traverse the whole heap, so decoding a page cost about three
times what the decoding itself does. Decoded JSON holds no reference cycles, so there is nothing for the collector
to find: pausing it while a page is turned into a table, and resuming it afterwards, changes only the speed.

The pause is counted, so that blocks overlapping in several threads (the extractor decodes the next page while it
builds the table of this one) keep the collector paused until the last of them ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; it is enabled again (if it was) when no block holds it."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
