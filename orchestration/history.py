"""History the method needs before a month: the feeds' earlier periods that a month's criteria look back on.

- report counts of December of the previous year (the DOSSIER_SYNC fallback: the previous calendar year's
  reported total; a month's own feed covers only the 12 months before it);
- publication decisions of the `decision_lookback_months` before (deadlines that fall in the month);
- procedure catalogues of the `catalogue_lookback_months` before (procedures still known to open dossiers);
- units of the same months (an open dossier of a unit that has since ended goes to the unit's successor, which
  only the units feed of a month when it was in force names).

The lookbacks are read from the rule table (dbt_project/seeds/rule_parameters.csv), never repeated here.
"""

from __future__ import annotations

import csv
from functools import cache

from orchestration.partitions import FIRST_MONTH
from orchestration.settings import DBT_PROJECT_DIR

RULE_PARAMETERS = DBT_PROJECT_DIR / "seeds" / "rule_parameters.csv"


@cache
def rule_parameter(name: str) -> int:
    """The largest value of a rule-table parameter across rule versions (a lookback long enough for all)."""
    with RULE_PARAMETERS.open(encoding="utf-8") as fh:
        values = [float(row["value"]) for row in csv.DictReader(fh) if row["parameter"] == name]
    if not values:
        raise KeyError(f"rule parameter {name!r} is not in {RULE_PARAMETERS}")
    return int(max(values))


def shift_month(period: str, months: int) -> str:
    y, m = (int(x) for x in period.split("-"))
    index = y * 12 + (m - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def context_periods(dataset: str, period: str) -> list[str]:
    """Earlier periods of `dataset` that `period`'s criteria read, oldest first (none before the first month)."""
    if dataset == "report-counts":
        wanted = [f"{int(period[:4]) - 1:04d}-12"]
    elif dataset == "publication-decisions":
        n = rule_parameter("decision_lookback_months")
        wanted = [shift_month(period, -k) for k in range(n, 0, -1)]
    elif dataset in ("procedures", "units"):
        n = rule_parameter("catalogue_lookback_months")
        wanted = [shift_month(period, -k) for k in range(n, 0, -1)]
    else:
        wanted = []
    return [p for p in wanted if FIRST_MONTH <= p < period]
