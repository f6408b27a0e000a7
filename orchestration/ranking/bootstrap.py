"""Bootstrap intervals for ranks within a peer group.

A unit's rank depends on its total, which is estimated from a finite number of records: a province with a few
hundred dossiers in a criterion could have ranked several places higher or lower on another sample of the same
process. The interval says how far.

Method (per period and peer group, e.g. the 34 provinces of July 2025):

- every criterion a unit is *scored* on with a proportion (numerator records meeting it among denominator records)
  is resampled: drawing the denominator's records with replacement gives numerator* ~ Binomial(n, ratio), which is
  exactly the nonparametric bootstrap of that ratio (n is the denominator rounded to an integer, at least 1);
- the points follow from the resampled ratio by the criterion's own rule (linear, target; zero-denominator rules
  do not arise since n > 0), rounded half up to 2 decimals as published;
- criteria not resampled keep their points: tracking criteria (0 points), zero denominators, not measured,
  not applicable, inherited values, and ratios that are not proportions;
- each replicate's totals are ranked by competition ranking (1, 2, 2, 4), and the interval is the lower and upper
  (1 - level) / 2 quantiles of each unit's replicate ranks (inverted CDF, so the bounds are ranks).

Each criterion's records are resampled independently: criteria counted over the same dossiers are correlated,
which this ignores; the interval is therefore a per-criterion record bootstrap, not a joint one. The cost depends
on the number of units ranked (a few dozen per group), never on the number of records, so it stays small at
national scale: replicates × units² comparisons per group.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

GROUP_KEYS = ["period_type", "period_start", "peer_group", "peer_group_unit_id"]
RESAMPLED_KINDS = frozenset({"linear", "target"})


@dataclass(frozen=True)
class BootstrapSettings:
    """How many replicates, which interval, and the seed that makes a release reproducible."""

    replicates: int = 1000
    level: float = 0.90
    seed: int = 766


def round_half_up(points: np.ndarray) -> np.ndarray:
    """Points rounded half up to 2 decimals, as the scoring mart does (1e-9 absorbs binary error)."""
    return np.floor(points * 100.0 + 0.5 + 1e-9) / 100.0


def rule_points(ratio: np.ndarray, max_points: np.ndarray, scoring_kind: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Unrounded points of resampled ratios: linear max × ratio, target min(max, max × ratio / target)."""
    linear = max_points * ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        targeted = np.minimum(max_points, max_points * ratio / target)
    return np.where(scoring_kind == "target", targeted, linear)


def competition_ranks(totals: np.ndarray) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) of each row of a replicates × units matrix, highest total first."""
    return 1 + (totals[:, None, :] > totals[:, :, None]).sum(axis=2)


def _group_seed(seed: int, key: tuple) -> np.random.Generator:
    # crc32 of the group key, not hash(): stable across processes, so a rebuild draws the same replicates.
    return np.random.default_rng([seed, zlib.crc32(repr(key).encode("utf-8"))])


def _is_resampled(values: pd.DataFrame) -> pd.Series:
    denominator = values["denominator"]
    numerator = values["numerator"]
    return (
        (values["value_state"] == "scored")
        & values["scoring_kind"].isin(RESAMPLED_KINDS)
        & denominator.gt(0).fillna(False)
        & numerator.ge(0).fillna(False)
        & (numerator <= denominator).fillna(False)
        & values["max_points"].gt(0).fillna(False)
    )


def rank_intervals(values: pd.DataFrame, settings: BootstrapSettings = BootstrapSettings()) -> pd.DataFrame:
    """Rank intervals for the units of `values`, one row per unit, period and peer group.

    `values` has one row per ranked unit and criterion with the columns of GROUP_KEYS and unit_id,
    criterion_code, numerator, denominator, value_state, points, max_points, scoring_kind, target_ratio. Returns
    GROUP_KEYS + unit_id, rank_interval_low, rank_interval_high, replicates.
    """
    columns = [*GROUP_KEYS, "unit_id", "rank_interval_low", "rank_interval_high", "replicates"]
    if values.empty:
        return pd.DataFrame(columns=columns)
    values = values.copy()
    values["peer_group_unit_id"] = values["peer_group_unit_id"].astype(object).where(
        values["peer_group_unit_id"].notna(), ""
    )
    # The draws are assigned to rows in order: a query returns rows in no fixed order, so fix one, or a rebuild of
    # the same data would draw other replicates.
    values = values.sort_values([*GROUP_KEYS, "unit_id", "criterion_code"], kind="stable", ignore_index=True)
    values["resampled"] = _is_resampled(values)
    lower_q = (1.0 - settings.level) / 2.0
    out = []
    for key, group in values.groupby(GROUP_KEYS, sort=True, dropna=False):
        units = np.array(sorted(group["unit_id"].unique()))
        position = pd.Series(np.arange(len(units)), index=units)
        rng = _group_seed(settings.seed, key)
        totals = np.zeros((settings.replicates, len(units)))

        fixed = group[~group["resampled"]]
        fixed_points = fixed.groupby("unit_id")["points"].sum().astype(float)
        totals[:, position[fixed_points.index].to_numpy()] += fixed_points.to_numpy()

        drawn = group[group["resampled"]]
        if not drawn.empty:
            n = np.maximum(1, np.rint(drawn["denominator"].to_numpy(dtype=float))).astype(np.int64)
            p = np.clip(drawn["numerator"].to_numpy(dtype=float) / drawn["denominator"].to_numpy(dtype=float), 0, 1)
            ratios = rng.binomial(n, p, size=(settings.replicates, len(drawn))) / n
            points = round_half_up(
                rule_points(
                    ratios,
                    drawn["max_points"].to_numpy(dtype=float),
                    drawn["scoring_kind"].to_numpy(dtype=object),
                    drawn["target_ratio"].to_numpy(dtype=float),
                )
            )
            columns_of_units = position[drawn["unit_id"]].to_numpy()
            np.add.at(totals, (slice(None), columns_of_units), points)

        ranks = competition_ranks(np.round(totals, 2))
        low = np.quantile(ranks, lower_q, axis=0, method="inverted_cdf")
        high = np.quantile(ranks, 1.0 - lower_q, axis=0, method="inverted_cdf")
        frame = pd.DataFrame(
            {
                "unit_id": units,
                "rank_interval_low": low.astype(np.int64),
                "rank_interval_high": high.astype(np.int64),
                "replicates": settings.replicates,
            }
        )
        for name, part in zip(GROUP_KEYS, key, strict=True):
            frame[name] = part
        out.append(frame)
    result = pd.concat(out, ignore_index=True)
    result["peer_group_unit_id"] = result["peer_group_unit_id"].replace("", None)
    return result[columns]
