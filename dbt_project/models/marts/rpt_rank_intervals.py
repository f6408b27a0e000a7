"""90% rank intervals of ministries and provinces from a bootstrap over their records.

The method and its limits are in orchestration/ranking/bootstrap.py. Ranked units only (those with dossiers in the
period), input source `records`; replicates, level and seed come from the dbt vars rank_interval_replicates,
rank_interval_level and rank_interval_seed, so a rebuild of a release draws the same replicates.
"""

from orchestration.ranking.bootstrap import BootstrapSettings, rank_intervals

NATIONAL_PEER_GROUPS = ("ministries", "provinces")


def model(dbt, session):
    dbt.config(materialized="table")
    settings = BootstrapSettings(
        replicates=int(dbt.config.get("rank_interval_replicates") or 1000),
        level=float(dbt.config.get("rank_interval_level") or 0.90),
        seed=int(dbt.config.get("rank_interval_seed") or 766),
    )
    groups = ", ".join(f"'{group}'" for group in NATIONAL_PEER_GROUPS)
    peers = dbt.ref("int_unit_peer_groups").filter(f"peer_group in ({groups})").set_alias("peers")
    ranked = (
        dbt.ref("int_unit_dossier_volumes")
        .filter("input_source = 'records' and dossiers_handled > 0")
        .set_alias("volumes")
    )
    values = dbt.ref("fct_criterion_values").filter("input_source = 'records'").set_alias("fcv")
    rules = dbt.ref("dim_criteria").set_alias("rules")
    joined = (
        values.join(peers, "fcv.unit_id = peers.unit_id")
        .join(
            ranked,
            "volumes.unit_id = fcv.unit_id and volumes.period_type = fcv.period_type "
            "and volumes.period_start = fcv.period_start",
        )
        .join(rules, "rules.rule_version = fcv.rule_version and rules.criterion_code = fcv.criterion_code")
        .select(
            "fcv.period_type, fcv.period_start, peers.peer_group, peers.peer_group_unit_id, fcv.unit_id, "
            "fcv.criterion_code, fcv.numerator, fcv.denominator, fcv.value_state, "
            "cast(fcv.points as double) as points, cast(fcv.max_points as double) as max_points, "
            "rules.scoring_kind, rules.target_ratio"
        )
    )
    intervals = rank_intervals(joined.df(), settings)
    intervals["rank_interval_low"] = intervals["rank_interval_low"].astype("int32")
    intervals["rank_interval_high"] = intervals["rank_interval_high"].astype("int32")
    intervals["replicates"] = intervals["replicates"].astype("int32")
    return intervals
