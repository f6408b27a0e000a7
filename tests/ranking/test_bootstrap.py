"""The bootstrap of rank intervals (orchestration/ranking/bootstrap.py), on hand-made peer groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.ranking.bootstrap import (
    BootstrapSettings,
    competition_ranks,
    rank_intervals,
    round_half_up,
    rule_points,
)

SETTINGS = BootstrapSettings(replicates=2000, level=0.90, seed=766)


def criterion(unit, code, numerator, denominator, max_points, *, kind="linear", target=np.nan, state="scored"):
    ratio = numerator / denominator if denominator else 0.0
    points = min(max_points, max_points * ratio / target) if kind == "target" else max_points * ratio
    return {
        "period_type": "month",
        "period_start": "2025-07-01",
        "peer_group": "provinces",
        "peer_group_unit_id": None,
        "unit_id": unit,
        "criterion_code": code,
        "numerator": float(numerator),
        "denominator": float(denominator),
        "value_state": state,
        "points": float(round_half_up(np.array([points]))[0]),
        "max_points": float(max_points),
        "scoring_kind": kind,
        "target_ratio": target,
    }


def test_competition_ranks_share_ties_and_skip():
    totals = np.array([[80.0, 75.5, 75.5, 70.0], [1.0, 2.0, 3.0, 3.0]])
    assert competition_ranks(totals).tolist() == [[1, 2, 2, 4], [4, 3, 1, 1]]


def test_rule_points_follow_the_linear_and_target_rules():
    ratio = np.array([0.75, 0.6, 0.9])
    got = rule_points(ratio, np.array([6.0, 2.0, 2.0]), np.array(["linear", "target", "target"]), np.array([np.nan, 0.8, 0.8]))
    assert got.tolist() == pytest.approx([4.5, 1.5, 2.0])


def test_certain_ratios_give_a_point_interval_at_the_rank():
    # Every ratio is 0 or 1: resampling cannot move anything, so each interval is the rank itself.
    values = pd.DataFrame(
        [criterion("A", "X", 50, 50, 10), criterion("B", "X", 0, 50, 10), criterion("C", "X", 50, 50, 5)]
    )
    got = rank_intervals(values, SETTINGS).set_index("unit_id")
    assert got.loc["A", ["rank_interval_low", "rank_interval_high"]].tolist() == [1, 1]
    assert got.loc["C", ["rank_interval_low", "rank_interval_high"]].tolist() == [2, 2]
    assert got.loc["B", ["rank_interval_low", "rank_interval_high"]].tolist() == [3, 3]


def ladder(records_of_d: int) -> pd.DataFrame:
    """Six provinces 10 points apart on one 100-point linear criterion with 2,000 records each, and D, whose
    ratio (0.55) puts it 4th between 0.60 and 0.50, over `records_of_d` records."""
    rows = [criterion(u, "X", int(2000 * r), 2000, 100) for u, r in zip("ABCEFG", [0.8, 0.7, 0.6, 0.5, 0.4, 0.3], strict=True)]
    rows.append(criterion("D", "X", round(records_of_d * 0.55), records_of_d, 100))
    return pd.DataFrame(rows)


def test_resampled_unit_interval_contains_its_rank_and_few_records_widen_it():
    many = rank_intervals(ladder(2000), SETTINGS).set_index("unit_id")
    few = rank_intervals(ladder(20), SETTINGS).set_index("unit_id")
    # D ranks 4th on its point estimate in both; its interval contains 4.
    for got in (many, few):
        low, high = got.loc["D", ["rank_interval_low", "rank_interval_high"]]
        assert low <= 4 <= high
    # With 2,000 records the standard error of D's ratio is 1.1 points of 100: it stays 4th.
    assert many.loc["D", ["rank_interval_low", "rank_interval_high"]].tolist() == [4, 4]
    # With 20 records it is 11 points: 90% of replicates fall between 2nd and 6th or wider.
    low, high = few.loc["D", ["rank_interval_low", "rank_interval_high"]]
    assert low <= 2 and high >= 6
    # The well-measured units barely move.
    assert many.loc["A", ["rank_interval_low", "rank_interval_high"]].tolist() == [1, 1]


def test_fixed_criteria_are_not_resampled():
    # No data and inherited values keep their points: the interval of a unit with only those is its rank.
    values = pd.DataFrame(
        [
            criterion("A", "X", 1, 2, 10, state="inherited"),
            criterion("B", "X", 0, 0, 10, state="no_data"),
            criterion("C", "X", 30, 40, 10, kind="tracking"),
        ]
    )
    values.loc[values["unit_id"] == "C", "points"] = 0.0
    got = rank_intervals(values, SETTINGS).set_index("unit_id")
    assert got["rank_interval_low"].to_dict() == {"A": 1, "B": 2, "C": 2}
    assert got["rank_interval_high"].to_dict() == {"A": 1, "B": 2, "C": 2}


def test_same_seed_same_intervals_and_groups_are_separate():
    values = ladder(20)
    other = ladder(20).assign(peer_group="ministries")
    both = pd.concat([values, other], ignore_index=True)
    first = rank_intervals(both, SETTINGS)
    again = rank_intervals(both, SETTINGS)
    pd.testing.assert_frame_equal(first, again)
    assert set(first["peer_group"]) == {"provinces", "ministries"}
    assert len(first) == 14
    assert first["peer_group_unit_id"].isna().all()


def test_empty_input_gives_an_empty_frame():
    got = rank_intervals(pd.DataFrame(columns=["period_type"]), SETTINGS)
    assert got.empty and "rank_interval_low" in got.columns


def test_the_order_of_the_input_rows_does_not_change_the_intervals():
    # Twelve close, noisy units with two criteria each: any change in which row gets which draw moves some bound.
    values = pd.DataFrame(
        [criterion(f"U{i:02d}", code, 10 + i % 5 + (code == "Y"), 30, 10) for i in range(12) for code in ("X", "Y")]
    )
    shuffled = values.sample(frac=1.0, random_state=3).reset_index(drop=True)
    settings = BootstrapSettings(replicates=200, level=0.90, seed=766)
    pd.testing.assert_frame_equal(rank_intervals(values, settings), rank_intervals(shuffled, settings))
