"""The benchmark results as a markdown page (docs/benchmarks/README.md), one column per scale."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        value = f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _heading(result: dict[str, Any]) -> str:
    """A scale's column heading; a run still going, or stopped half-way, says so."""
    return result["scale"] if result.get("complete", True) else f"{result['scale']} (partial)"


def _yes(flag: bool | None) -> str:
    return "n/a" if flag is None else ("met" if flag else "**not met**")


ROWS = [
    ("dossiers in the month", "dossiers", ""),
    ("extraction over loopback HTTP (records/s)", "extraction_http_records_per_second", ""),
    ("extraction in the month run, where the extraction stage was not run (records/s)",
     "extraction_in_the_month_run_records_per_second", ""),
    ("extraction without HTTP, same landing (records/s)", "extraction_direct_records_per_second", ""),
    ("dbt build of the month (s)", "transform_seconds", ""),
    ("one DuckDB pass over the same dossiers (s)", "single_pass_seconds", ""),
    ("dbt build / single pass", "transform_over_single_pass", "×"),
    ("target: dbt build / single pass at most", "transform_over_single_pass_target", "×"),
    ("tiny month's dbt build, the same month alone, median of 3 (s)", "tiny_transform_median_seconds", ""),
    ("dbt build / the tiny month's (fixed cost; target at most 2)", "transform_over_tiny", "×"),
    ("dbt of the dossier staging models alone (s), where the build was not run", "dossier_staging_seconds", ""),
    ("dossier staging alone / single pass", "dossier_staging_over_single_pass", "×"),
    ("the month run's dbt step (s)", "month_run_dbt_seconds", ""),
    ("the month run's dbt step / single pass", "month_run_dbt_over_single_pass", "×"),
    ("of the dbt build: dbt's start, parsing (s)", "transform_dbt_start_seconds", ""),
    ("of the dbt build: models, summed over threads (s)", "transform_model_seconds", ""),
    ("of the dbt build: data tests, summed over threads (s)", "transform_test_seconds", ""),
    ("the month run end to end (s)", "month_run_seconds", ""),
    ("quality gate (s)", "gate_seconds", ""),
    ("publication (s)", "publish_seconds", ""),
    ("peak RSS of any stage (MB)", "peak_rss_mb", ""),
    ("history: month 2's dbt build (s)", "history_dbt_seconds_month_2", ""),
    ("history: month 13's dbt build (s)", "history_dbt_seconds_month_13", ""),
    ("history: month 13 against month 2", "history_growth", ""),
    ("history: trend over months 2 to 13 (least squares)", "history_trend_growth", ""),
    ("history: month 2's dbt build, median of 3 repeats (s)", "history_median_dbt_seconds_month_2", ""),
    ("history: month 13's dbt build, median of 3 repeats (s)", "history_median_dbt_seconds_month_13", ""),
    ("history: month 13 against month 2, medians (the target's figure)", "history_median_growth", ""),
    ("history: month 13's dbt build with its year to date only in the warehouse, median of 3 (s)",
     "history_median_dbt_seconds_month_13_year_to_date_only", ""),
    ("history: month 13 with thirteen months of history against its year to date only, medians",
     "history_same_month_growth", ""),
]


def render_markdown(results: list[dict[str, Any]]) -> str:
    order = {"tiny": 0, "small": 1, "medium": 2, "national": 3}
    results = sorted(results, key=lambda r: order.get(r["scale"], 9))
    lines = [
        "# Benchmarks",
        "",
        "Produced by `dvc-index bench --scale <scale>` (`make bench`), which writes `<scale>.json` here and",
        "regenerates this page. Each stage runs in a process of its own; peak RSS is that process's with its children",
        "(dbt and landing workers). A run under way, or stopped half-way, writes `<scale>.partial.json` (a column",
        "marked partial where a scale has no complete run). Absolute times vary between machines: quote the ratios.",
        "What the figures mean, what was changed for them and what is left: [findings.md](findings.md).",
        "",
        "| figure | " + " | ".join(_heading(r) for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for label, key, unit in ROWS:
        lines.append(f"| {label} | " + " | ".join(_fmt(r["summary"].get(key), unit) for r in results) + " |")
    for stage in ("month_run", "extract", "transform", "single_pass", "gate", "publish", "dossier_staging"):
        lines.append(
            f"| peak RSS, {stage} (MB) | "
            + " | ".join(_fmt(r["summary"]["peak_rss_mb_by_stage"].get(stage)) for r in results)
            + " |"
        )
    lines += ["", "## Targets", "", "| target | " + " | ".join(_heading(r) for r in results) + " |",
              "|---|" + "---|" * len(results)]
    for target in ("transform_over_single_pass_within_target", "transform_within_2x_tiny", "peak_rss_under_6gb",
                   "extraction_30k_per_second", "month_run_within_15_minutes", "history_independent_within_20pct"):
        lines.append(f"| {target} | " + " | ".join(_yes(r["summary"]["met"].get(target)) for r in results) + " |")
    for r in results:
        if "history" in r:
            lines += ["", f"## A month's dbt build as history grows ({r['history']['scale']} scale)", "",
                      "| month | dbt build (s) | run (s) | repeated builds (s) |", "|---|---|---|---|"]
            lines += [
                f"| {m['month']} | {_fmt(m['dbt_seconds'])} | {_fmt(m['seconds'])} | "
                + (", ".join(_fmt(x) for x in m["dbt_repeat_seconds"]) if m.get("dbt_repeat_seconds") else "")
                + " |"
                for m in r["history"]["months"]
            ]
            short = r["history"].get("year_to_date_only")
            if short:
                lines.append(f"| {short['months'][-1]}, in a warehouse of {short['months'][0]} to {short['months'][-1]} "
                             "only | | | " + ", ".join(_fmt(x) for x in short["dbt_repeat_seconds"]) + " |")
    for r in results:
        slowest = r.get("transform", {}).get("slowest_models")
        if slowest:
            lines += ["", f"## Slowest models of the month's dbt build ({r['scale']})", "", "| model | s |", "|---|---|"]
            lines += [f"| {m['model']} | {_fmt(m['seconds'])} |" for m in slowest]
    lines += ["", "## Machines and commands", ""]
    for r in results:
        m = r["machine"]
        lines.append(
            f"- **{r['scale']}** ({r['started_at']} to {r.get('finished_at', '?')}): {m['cpu']}, {m['cores']} cores, "
            f"{m['memory_gb']} GB, {m['platform']}, Python {m['python']}, DuckDB {m['duckdb']}; load average at start "
            f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}. Command: `{r.get('command') or 'dvc-index bench --scale ' + r['scale']}`"
        )
    return "\n".join(lines) + "\n"
