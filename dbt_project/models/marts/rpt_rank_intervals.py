"""90% rank intervals of ministries and provinces from a bootstrap over their records (or, in a run from the
published evaluation alone, over the portal's numerators and denominators).

The method and its limits are in orchestration/ranking/bootstrap.py. Ranked units only (those with dossiers in the
period), input source `records`; replicates, level and seed come from the model's config rank_interval_replicates,
rank_interval_level and rank_interval_seed (dbt_project.yml), so a rebuild of a release draws the same replicates.

Incremental like the SQL marts (macros/rebuilt_periods.sql): a build with var period_from recomputes the periods
with a month on or after it, and the strategy replace_rebuilt_periods replaces their rows. A Python model reads
no var, so dbt_project.yml passes var period_from through the model's config; without it, the window is the
environment's DVC_INDEX_PERIOD_FROM, as in macro period_window() (dbt runs Python models in its own process). Each group's replicates are seeded by
its own key (period and peer group), so a group draws the same replicates whichever periods a build covers.
"""

import os
import re

from orchestration.ranking.bootstrap import BootstrapSettings, rank_intervals

NATIONAL_PEER_GROUPS = ("ministries", "provinces")
EMPTY_TYPES = {
    "period_type": "str",
    "period_start": "datetime64[us]",
    "peer_group": "str",
    "peer_group_unit_id": "str",
    "unit_id": "str",
    "rank_interval_low": "int32",
    "rank_interval_high": "int32",
    "replicates": "int32",
}
PERIOD_LENGTH = (
    "(case period_type when 'month' then interval 1 month when 'quarter' then interval 3 month "
    "else interval 1 year end)"
)


def rebuilt_periods_filter(period_from: str | None, is_incremental: bool) -> str:
    """The SQL predicate of macro period_is_rebuilt(): periods ending after the first day of period_from."""
    period_from = (period_from or "").strip()
    if not is_incremental or not period_from:
        return "true"
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period_from):
        raise ValueError(f"period_from (var or DVC_INDEX_PERIOD_FROM) must be YYYY-MM, got {period_from!r}")
    return f"period_start + {PERIOD_LENGTH} > date '{period_from}-01'"


# the sources a period may be ranked from: records where the feeds were scored, else the published evaluation
# (macros/ranked_sources.sql)
RANKED = "'records', 'portal_published'"


def of_ranked_source(values):
    """The rows of each period's ranked source: records where the period has any, else portal_published."""
    if values.empty:
        return values.drop(columns="input_source")
    has_records = (values["input_source"] == "records").groupby(
        [values["period_type"], values["period_start"]]
    ).transform("any")
    ranked = values[(values["input_source"] == "records") | ~has_records]
    return ranked.drop(columns="input_source").reset_index(drop=True)


def model(dbt, session):
    # a Python model is a table unless its own config says otherwise (strategy and period_from: dbt_project.yml)
    dbt.config(materialized="incremental")
    # each dbt.config.get as a statement of its own: dbt passes a config key to a Python model only when its
    # parser sees the call, and it does not look inside expressions such as int(dbt.config.get(...) or 1000)
    replicates = dbt.config.get("rank_interval_replicates", 1000)
    level = dbt.config.get("rank_interval_level", 0.90)
    seed = dbt.config.get("rank_interval_seed", 766)
    period_from = dbt.config.get("period_from", "")
    period_from = period_from or os.environ.get("DVC_INDEX_PERIOD_FROM", "")
    settings = BootstrapSettings(replicates=int(replicates), level=float(level), seed=int(seed))
    groups = ", ".join(f"'{group}'" for group in NATIONAL_PEER_GROUPS)
    peers = dbt.ref("int_unit_peer_groups").filter(f"peer_group in ({groups})").set_alias("peers")
    rebuilt = rebuilt_periods_filter(period_from, dbt.is_incremental)
    ranked = (
        dbt.ref("int_unit_dossier_volumes")
        .filter(f"input_source in ({RANKED}) and dossiers_handled > 0 and {rebuilt}")
        .set_alias("volumes")
    )
    values = dbt.ref("fct_criterion_values").filter(f"input_source in ({RANKED}) and {rebuilt}").set_alias("fcv")
    rules = dbt.ref("dim_criteria").set_alias("rules")
    joined = (
        values.join(peers, "fcv.unit_id = peers.unit_id")
        .join(
            ranked,
            "volumes.unit_id = fcv.unit_id and volumes.period_type = fcv.period_type "
            "and volumes.period_start = fcv.period_start and volumes.input_source = fcv.input_source",
        )
        .join(rules, "rules.rule_version = fcv.rule_version and rules.criterion_code = fcv.criterion_code")
        .select(
            "fcv.input_source, fcv.period_type, fcv.period_start, peers.peer_group, peers.peer_group_unit_id, fcv.unit_id, "
            "fcv.criterion_code, fcv.numerator, fcv.denominator, fcv.value_state, "
            "cast(fcv.points as double) as points, cast(fcv.max_points as double) as max_points, "
            "rules.scoring_kind, rules.target_ratio"
        )
        # the draws follow the order of the rows: a fixed order, or two builds of the same values (a full one
        # and an incremental one, or two runs on more threads) would draw different replicates
        .order("period_type, period_start, peer_group, peer_group_unit_id, unit_id, criterion_code")
    )
    intervals = rank_intervals(of_ranked_source(joined.df()), settings)
    if intervals.empty:
        # typed, or DuckDB reads the empty columns as NULL and the incremental build fails on the schema change
        return intervals.astype(EMPTY_TYPES)
    intervals["rank_interval_low"] = intervals["rank_interval_low"].astype("int32")
    intervals["rank_interval_high"] = intervals["rank_interval_high"].astype("int32")
    intervals["replicates"] = intervals["replicates"].astype("int32")
    return intervals
