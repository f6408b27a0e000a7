"""Fault injection for the portal simulator: scripted per request, or at random rates from the start.

A fault rule matches requests by path prefix; `after` lets that many matching requests through first and `times`
is how many it then hits (None: every one). Rates apply independently of the rules, from a seeded generator so a
faulty run is repeatable.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

# html: 200 with a maintenance page; truncate: 200 with the JSON body cut in half; total: a feed page whose `total`
# is `size` more than the records served; oversize: a feed page padded with an unknown field of `size` bytes
FAULT_KINDS = ("429", "500", "502", "503", "504", "slow", "drop", "shift", "html", "truncate", "total", "oversize")


@dataclass
class FaultRule:
    kind: str
    path: str = "/api/"
    after: int = 0
    times: int | None = 1
    retry_after: float = 1.0
    delay: float = 5.0
    size: int = 1
    seen: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        allowed = {"kind", "path", "after", "times", "retry_after", "delay", "size"}
        unknown = set(raw) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule fields: {', '.join(sorted(unknown))}")
        return cls(**{k: raw[k] for k in allowed if k in raw})


@dataclass
class FaultPlan:
    """The faults a simulator injects; thread-safe, changeable while the server runs."""

    rules: list[FaultRule] = field(default_factory=list)
    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    retry_after: float = 1.0
    delay: float = 5.0
    injected: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for kind in self.rates:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.injected.clear()

    def pick(self, path: str) -> FaultRule | None:
        """The fault to inject into a request for `path`, if any (counts it as injected)."""
        with self._lock:
            for rule in self.rules:
                if not path.startswith(rule.path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after or (rule.times is not None and rule.hits >= rule.times):
                    continue
                rule.hits += 1
                self.injected.append({"path": path, "kind": rule.kind})
                return rule
            for kind, rate in self.rates.items():
                if self._random.random() < rate:
                    self.injected.append({"path": path, "kind": kind})
                    return FaultRule(kind=kind, path=path, retry_after=self.retry_after, delay=self.delay)
        return None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [asdict(r) for r in self.rules],
                "rates": dict(self.rates),
                "injected": list(self.injected),
            }


def parse_rates(specs: list[str]) -> dict[str, float]:
    """`["429:0.05", "drop:0.01"]` → {"429": 0.05, "drop": 0.01} (the CLI's --fault option)."""
    rates: dict[str, float] = {}
    for spec in specs:
        kind, _, rate = spec.partition(":")
        if kind not in FAULT_KINDS or not rate:
            raise ValueError(f"bad fault {spec!r}: use KIND:RATE with KIND one of {', '.join(FAULT_KINDS)}")
        rates[kind] = float(rate)
    return rates
