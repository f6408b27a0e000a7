"""Thresholds of the quality gate: defaults here, overridable by environment variables or by the caller.

Every field can be set with the environment variable `DVC_INDEX_QUALITY_<FIELD NAME IN CAPITALS>`, e.g.
`DVC_INDEX_QUALITY_QUARANTINE_MAX_SHARE=0.02` or `DVC_INDEX_QUALITY_ANOMALIES_BLOCK=true`; a caller passes
`QualityConfig(...)` or `QualityConfig.from_env().with_overrides(...)`. The values reach the Great Expectations
suites as suite parameters, and the quality report shows the thresholds a month was judged by.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

ENV_PREFIX = "DVC_INDEX_QUALITY_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class QualityConfig:
    """What the gate tolerates before it blocks a month, and what it shows the reviewer as anomalies."""

    # Staging: share of a dataset's raw records of the month that went to quarantine (issues / raw rows).
    quarantine_max_share: float = 0.05
    # Staging: a dataset's rows of the month must lie within [median / ratio, median × ratio] of the median of
    # its previous `volume_baseline_months` months that have rows (the first month has no baseline and passes).
    volume_max_ratio: float = 3.0
    volume_baseline_months: int = 3
    # Staging: how far before the period an event date may lie (dossiers open for years are legitimate).
    date_lookback_years: int = 5
    # Anomalies, month on month per unit: dossiers received ×ratio or ÷ratio, when the larger of the two months
    # has at least `anomaly_min_dossiers` (small units swing by chance), and total points changing by more than
    # `anomaly_max_points_change`.
    anomaly_volume_ratio: float = 3.0
    anomaly_min_dossiers: int = 30
    anomaly_max_points_change: float = 15.0
    # Whether anomalies block publication (otherwise they are warnings for the reviewer).
    anomalies_block: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.quarantine_max_share <= 1:
            raise ValueError(f"quarantine_max_share must be within [0, 1], not {self.quarantine_max_share}")
        for name in ("volume_max_ratio", "anomaly_volume_ratio"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("volume_baseline_months", "date_lookback_years", "anomaly_min_dossiers"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.anomaly_max_points_change < 0:
            raise ValueError(f"anomaly_max_points_change must not be negative, not {self.anomaly_max_points_change}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> QualityConfig:
        """The defaults, with every `DVC_INDEX_QUALITY_*` variable that is set applied over them."""
        env = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is None or raw.strip() == "":
                continue
            values[field.name] = _parse(field.name, field.type, raw.strip())
        return cls(**values)

    def with_overrides(self, **changes) -> QualityConfig:
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def _parse(name: str, type_name: str, raw: str):
    """Parse one environment value by the field's declared type (annotations are strings here)."""
    try:
        if type_name == "bool":
            lowered = raw.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        if type_name == "int":
            return int(raw)
        return float(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {type_name}") from None
