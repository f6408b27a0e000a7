"""What a monthly release contains: the marts it publishes, each with its sort key and whether it has a period.

Kept as data so that adding a mart to the release is one line here, and so that a release's manifest can record
the very spec it was exported with (reproduction re-exports with the manifest's spec, not with today's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# The period of a monthly release: rows with period_type 'month' and period_start on the month's first day.
PERIOD_TYPE = "month"
PERIOD_TYPE_COLUMN = "period_type"
PERIOD_START_COLUMN = "period_start"
# Where the rule-table version(s) applied in the month are read from.
RULE_VERSION_TABLE = "fct_criterion_values"
RULE_VERSION_COLUMN = "rule_version"


@dataclass(frozen=True)
class TableSpec:
    """One published table.

    `key` orders the rows before writing (ties are broken by every other column, so the order is total and the
    files are byte-for-byte reproducible). `period_filtered` tables keep the month's rows only; the others
    (dimensions) are published whole. `row_filter` keeps out rows that are not the month's published values:
    the comparable series (input_source 'records_comparable') is the previous-period value of units after a
    reorganisation, computed for a period only once the next one is built, so it would change a release after
    the fact; the month that uses it publishes its effect (rpt_rankings.previous_*, rpt_score_changes).
    """

    name: str
    key: tuple[str, ...]
    period_filtered: bool
    schema: str = "marts"
    # A SQL predicate on the table's own columns that published rows must also meet (None: every row).
    row_filter: str | None = None

    @property
    def qualified_name(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["key"] = list(self.key)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableSpec:
        return cls(
            name=data["name"],
            key=tuple(data["key"]),
            period_filtered=bool(data["period_filtered"]),
            schema=data.get("schema", "marts"),
            row_filter=data.get("row_filter"),
        )


RELEASE_TABLES: tuple[TableSpec, ...] = (
    TableSpec("dim_units", ("unit_id",), period_filtered=False),
    TableSpec("dim_criteria", ("rule_version", "criterion_code"), period_filtered=False),
    TableSpec(
        "fct_criterion_values",
        ("unit_id", "period_type", "period_start", "criterion_code", "input_source"),
        period_filtered=True,
        row_filter="input_source <> 'records_comparable'",
    ),
    TableSpec(
        "fct_unit_scores",
        ("unit_id", "period_type", "period_start", "input_source"),
        period_filtered=True,
        row_filter="input_source <> 'records_comparable'",
    ),
    TableSpec("rpt_rankings", ("period_type", "period_start", "unit_id"), period_filtered=True),
    TableSpec(
        "rpt_score_changes",
        ("period_type", "period_start", "unit_id", "criterion_code"),
        period_filtered=True,
    ),
    # unit_id is null for a department the portal names but the unit register does not know.
    TableSpec(
        "rpt_reconciliation",
        ("period_type", "period_start", "unit_id", "department_id", "criterion_code"),
        period_filtered=True,
    ),
)
