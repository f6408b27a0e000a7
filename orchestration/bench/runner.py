"""`dvc-index bench`: how fast and how lean a month is, stage by stage, on this machine.

Each stage runs in a process of its own (orchestration/bench/stages.py) so that its peak memory is its own. For a
scale the benchmark generates the portal's data (once per process that serves it, deterministically from the
seed), runs the month before and the month itself through the whole pipeline (HTTP extraction, dbt, gate,
release), then measures on that warehouse: extraction of the dossier feed over loopback HTTP and directly,
`dbt build` of the month beside one DuckDB pass over the same landed dossiers (the ratio is the figure to quote),
the gate, and the publication. `--history N` also runs N consecutive months at a (small) scale and reports each
month's dbt build time, to show whether a month's cost grows with the history in the warehouse.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestration.history import shift_month

TARGETS = {
    # dbt build of a month against one DuckDB pass over its dossiers: at small scale the fixed cost (dbt's start,
    # about 200 tests, seeds) dominates; from medium on the per-dossier work does
    "transform_over_single_pass": {"tiny": 30.0, "small": 30.0, "medium": 10.0, "national": 10.0},
    # a month at this scale against one at tiny scale, both dbt builds of the same month alone (fixed cost)
    "transform_over_tiny": 2.0,
    "peak_rss_mb": 6 * 1024,
    "extraction_records_per_second": 30_000,
    "history_growth": 0.20,
    # a national month end to end (extraction over HTTP, dbt, gate, release), in seconds
    "national_month_run_seconds": 15 * 60,
}
# the periods of the published evaluation a month run lands, by scale (DVC_INDEX_EVALUATION_PERIODS): the
# simulator computes a quarter or a year by reading its records again, up to 24 months of them with the periods
# before (for scoreDelta): 25 minutes at medium, hours at national, where a real portal reads them from its
# database. From medium on, the benchmark's month asks for the month alone (its own dbt build is unchanged:
# every period is computed from records all the same).
EVALUATION_PERIODS = {"tiny": ("month", "quarter", "year"), "small": ("month", "quarter", "year"),
                      "medium": ("month",), "national": ("month",)}
# the tiny month's build, repeated: its median is what `transform_over_tiny` compares with
TINY_REPEATS = 3


class StageFailed(RuntimeError):
    pass


def run_stage(name: str, **arguments: Any) -> dict[str, Any]:
    """Run one stage in a child process and return its JSON result."""
    env = {**os.environ}
    env.pop("DUCKDB_PATH", None)  # each stage reads its own home's warehouse
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.bench.stages", name, json.dumps(arguments)],
        capture_output=True, text=True, env=env,
    )
    if done.returncode != 0:
        raise StageFailed(f"stage {name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    meminfo = {}
    try:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")),
            "",
        )
        meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    except OSError:
        pass
    import duckdb

    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(int(meminfo.get("MemTotal", "0 kB").split()[0]) / 2**20, 1) if meminfo else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def benchmark(
    scale: str,
    *,
    month: str = "2025-07",
    work_dir: Path,
    previous_month: bool = True,
    history: int = 0,
    history_scale: str = "tiny",
    history_first: str = "2024-07",
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Every figure of one scale (and the history series if asked), as a JSON-serialisable dict. `checkpoint`, if
    given, receives the figures so far (marked `"complete": false`) after each stage."""
    home = work_dir / scale
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    result: dict[str, Any] = {
        "scale": scale, "month": month, "machine": machine(), "targets": TARGETS,
        "command": " ".join(["dvc-index", "bench", *sys.argv[2:]]) if sys.argv[1:2] == ["bench"] else "",
        "started_at": datetime.now().isoformat(timespec="seconds"),
    }
    months = [shift_month(month, -1), month] if previous_month else [month]

    def measured(stage: str, value: dict[str, Any]) -> None:
        result[stage] = value
        if checkpoint is not None:  # a long run that stops half-way still leaves what it measured
            checkpoint({**result, "summary": summarise(result), "complete": False})

    for i, m in enumerate(months):
        say(f"{scale}: running {m} through the whole pipeline (extract over HTTP, dbt, gate, release)")
        run = month_stage(home, m, scale)
        if i == len(months) - 1:
            measured("month_run", run)
    # the ratio first (it is the figure to quote; the month run's own dbt step gives it before the transform stage
    # has run), the extraction stage last: it needs no warehouse
    say(f"{scale}: one DuckDB pass over {month}'s dossiers, and the dbt build of the month again, alone")
    measured("single_pass", run_stage("single_pass", home=str(home), month=month))
    measured("transform", run_stage("transform", home=str(home), month=month))
    if scale != "tiny":
        say(f"tiny: the same months through the pipeline, and {month}'s dbt build {TINY_REPEATS} times (fixed cost)")
        measured("tiny_transform", tiny_transform(work_dir, months))
    say(f"{scale}: quality gate and publication")
    measured("gate", run_stage("gate", home=str(home), month=month))
    measured("publish", run_stage("publish", home=str(home), month=month))
    say(f"{scale}: extraction of the dossier feed over HTTP and directly")
    measured("extract", run_stage("extract", month=month, scale=scale))
    if history:
        measured("history", history_series(work_dir, history, history_scale, history_first))
    result["summary"] = summarise(result)
    result["complete"] = True
    result["finished_at"] = datetime.now().isoformat(timespec="seconds")
    return result


def month_stage(home: Path, month: str, scale: str) -> dict[str, Any]:
    """The month stage, with the simulator serving from a process of this one (started here, generating its data
    before the stage's clock starts), so the stage's peak memory is the pipeline's, not the server's."""
    from orchestration.bench.extraction import default_as_of, simulator_process
    from orchestration.portal.simulator.generator import SimulatorConfig

    periods = EVALUATION_PERIODS.get(scale, EVALUATION_PERIODS["tiny"])
    with simulator_process(SimulatorConfig(scale=scale), default_as_of(month), "dossiers", month,
                           evaluation=periods) as url:
        return run_stage("month", home=str(home), month=month, scale=scale, portal_url=url,
                         evaluation_periods=list(periods))


def tiny_transform(work_dir: Path, months: list[str], repeats: int = TINY_REPEATS) -> dict[str, Any]:
    """The same months at tiny scale, and the last one's dbt build repeated alone: what a month costs whatever its
    size (dbt's start, seeds, tests, the models' round trips), to compare the measured scale's build with."""
    home = work_dir / "tiny-reference"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    for m in months:
        month_stage(home, m, "tiny")
    builds = [run_stage("transform", home=str(home), month=months[-1]) for _ in range(repeats)]
    return {"month": months[-1], "dbt_repeat_seconds": [b["seconds"] for b in builds],
            "dbt_start_seconds": [b["dbt_start_seconds"] for b in builds],
            "peak_rss_mb": max(b["peak_rss_mb"] for b in builds)}


# The dbt build of the 2nd and of the 13th month is repeated (the transform stage, alone) this many times: a
# month's build varies by ±15% from run to run, so the two are compared by their medians, not by single runs.
HISTORY_REPEATS = 3
COMPARED_MONTHS = (1, 12)  # indexes of the 2nd and 13th months


def history_series(work_dir: Path, months: int, scale: str, first: str, repeats: int = HISTORY_REPEATS) -> dict[str, Any]:
    """The dbt step of `months` consecutive monthly runs into one warehouse, in order; the 2nd and 13th months'
    builds repeated `repeats` times right after their run (with the history of that moment)."""
    home = work_dir / f"history-{scale}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    series = []
    for i in range(months):
        m = shift_month(first, i)
        say(f"history: month {i + 1} of {months} ({m}, scale {scale})")
        run = month_stage(home, m, scale)
        entry = {"month": m, "dbt_seconds": run["steps"].get("warehouse_models"), "seconds": run["seconds"],
                 "peak_rss_mb": run["peak_rss_mb"]}
        if i in COMPARED_MONTHS and repeats and months > max(COMPARED_MONTHS):
            say(f"history: {m}'s dbt build {repeats} more times, alone")
            entry["dbt_repeat_seconds"] = [
                run_stage("transform", home=str(home), month=m)["seconds"] for _ in range(repeats)
            ]
        series.append(entry)
    result: dict[str, Any] = {"scale": scale, "months": series}
    if repeats and months > max(COMPARED_MONTHS):
        result["year_to_date_only"] = year_to_date_only(work_dir, series[COMPARED_MONTHS[1]]["month"], scale, repeats)
    return result


def year_to_date_only(work_dir: Path, month: str, scale: str, repeats: int) -> dict[str, Any]:
    """The 13th month's build again, in a warehouse holding only that month's year to date (January to the month):
    every month the method reads for it (the month, its quarter, its year to date), none older. Beside the 13th
    month's own repeats it tells what older history costs from what the month's place in the year costs: its year
    to date spans more months than the 2nd month's, and its previous quarter exists, so it has more to compute."""
    home = work_dir / f"history-{scale}-year-to-date"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    first = month[:4] + "-01"
    months = [shift_month(first, i) for i in range(int(month[5:7]))]
    for m in months:
        say(f"history: {m} into a warehouse of {first} to {month} only ({scale})")
        month_stage(home, m, scale)
    say(f"history: {month}'s dbt build {repeats} times, with its year to date only")
    return {"months": months, "dbt_repeat_seconds": [
        run_stage("transform", home=str(home), month=month)["seconds"] for _ in range(repeats)
    ]}


STAGES = ("month_run", "extract", "transform", "single_pass", "gate", "publish")


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """The figures the targets are about, and whether each is met (None where a stage has not run yet)."""
    extract = result.get("extract") or {}
    transform = result.get("transform") or {}
    transform_seconds = transform.get("seconds")
    single_pass = (result.get("single_pass") or {}).get("query_seconds")
    ran = [s for s in STAGES if s in result]
    by_stage = {s: result[s]["peak_rss_mb"] for s in ran}
    if "http" in extract:
        # the extraction stage's own figure is the HTTP landing's; its direct mode holds the generated feed (a
        # stand-in for the portal's database) in the same process, which no extraction from a portal does
        by_stage["extract"] = extract["http"]["peak_rss_mb"]
    peak = max(by_stage.values(), default=None)
    month_dbt = (result.get("month_run") or {}).get("steps", {}).get("warehouse_models")
    tiny = (result.get("tiny_transform") or {}).get("dbt_repeat_seconds")
    scale = result.get("scale")
    summary: dict[str, Any] = {
        "dossiers": extract.get("records") or (result.get("month_run") or {}).get("records", {}).get("dossiers"),
        "extraction_http_records_per_second": (extract.get("http") or {}).get("records_per_second"),
        "extraction_direct_records_per_second": (extract.get("direct") or {}).get("records_per_second"),
        "transform_seconds": transform_seconds,
        "single_pass_seconds": single_pass,
        "transform_over_single_pass": round(transform_seconds / single_pass, 1)
        if transform_seconds and single_pass else None,
        # the same ratio from the month run's own dbt step (the pipeline's, as Dagster timed it)
        "month_run_dbt_seconds": month_dbt,
        "month_run_dbt_over_single_pass": round(month_dbt / single_pass, 1) if month_dbt and single_pass else None,
        # where the build's time went: dbt's start (parsing, connecting), then the models' and data tests' own
        # execution times summed (4 threads overlap, so they can exceed the run)
        "transform_dbt_start_seconds": transform.get("dbt_start_seconds"),
        "transform_model_seconds": _node_seconds(transform, "model"),
        "transform_test_seconds": _node_seconds(transform, "test"),
        "tiny_transform_median_seconds": round(statistics.median(tiny), 2) if tiny else None,
        "transform_over_tiny": round(transform_seconds / statistics.median(tiny), 2)
        if tiny and transform_seconds else None,
        "month_run_seconds": (result.get("month_run") or {}).get("seconds"),
        "gate_seconds": (result.get("gate") or {}).get("seconds"),
        "publish_seconds": (result.get("publish") or {}).get("seconds"),
        "peak_rss_mb": peak,
        "peak_rss_mb_by_stage": by_stage,
    }
    if "history" in result and len(result["history"]["months"]) >= 13:
        series = result["history"]["months"]
        second, thirteenth = series[1]["dbt_seconds"], series[12]["dbt_seconds"]
        summary["history_dbt_seconds_month_2"] = second
        summary["history_dbt_seconds_month_13"] = thirteenth
        summary["history_growth"] = round(thirteenth / second - 1, 2) if second else None
        # one month's build time varies by several seconds from run to run: the straight line through months
        # 2..13 says whether the cost grows with history, where two single runs can differ by chance
        summary["history_trend_growth"] = trend_growth([m["dbt_seconds"] for m in series[1:13]])
        if series[1].get("dbt_repeat_seconds") and series[12].get("dbt_repeat_seconds"):
            second_median = statistics.median(series[1]["dbt_repeat_seconds"])
            thirteenth_median = statistics.median(series[12]["dbt_repeat_seconds"])
            summary["history_median_dbt_seconds_month_2"] = round(second_median, 2)
            summary["history_median_dbt_seconds_month_13"] = round(thirteenth_median, 2)
            summary["history_median_growth"] = round(thirteenth_median / second_median - 1, 2) if second_median else None
            short = (result["history"].get("year_to_date_only") or {}).get("dbt_repeat_seconds")
            if short:
                # the same month with thirteen months of history against its year to date only: what older
                # history costs
                short_median = statistics.median(short)
                summary["history_median_dbt_seconds_month_13_year_to_date_only"] = round(short_median, 2)
                summary["history_same_month_growth"] = round(thirteenth_median / short_median - 1, 2) if short_median else None
    ratio, http = summary["transform_over_single_pass"], summary["extraction_http_records_per_second"]
    ratio_target = TARGETS["transform_over_single_pass"].get(scale)
    summary["transform_over_single_pass_target"] = ratio_target
    summary["met"] = {
        "transform_over_single_pass_within_target": None if ratio is None or ratio_target is None
        else ratio <= ratio_target,
        # a partial run can say "not met" (a stage already over the cap) but not yet "met"
        "peak_rss_under_6gb": None if peak is None or (len(ran) < len(STAGES) and peak <= TARGETS["peak_rss_mb"])
        else peak <= TARGETS["peak_rss_mb"],
        "extraction_30k_per_second": None if http is None else http >= TARGETS["extraction_records_per_second"],
    }
    if scale == "small":  # the fixed-cost target is the small month's; larger scales report the ratio only
        over_tiny = summary["transform_over_tiny"]
        summary["met"]["transform_within_2x_tiny"] = None if over_tiny is None else over_tiny <= TARGETS["transform_over_tiny"]
    if scale == "national":
        seconds = summary["month_run_seconds"]
        summary["met"]["month_run_within_15_minutes"] = (
            None if seconds is None else seconds <= TARGETS["national_month_run_seconds"]
        )
    # judged on the medians of the repeated builds where there are some, else on the two single runs
    growth = summary.get("history_median_growth", summary.get("history_growth"))
    if growth is not None:
        summary["met"]["history_independent_within_20pct"] = abs(growth) <= TARGETS["history_growth"]
    return summary


def trend_growth(values: list[float | None]) -> float | None:
    """Relative change across `values` (equally spaced) along their least-squares line: (last fitted - first
    fitted) / first fitted. None with fewer than two values or a fitted start of zero."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    first = mean_y + slope * (points[0][0] - mean_x)
    last = mean_y + slope * (points[-1][0] - mean_x)
    return round((last - first) / first, 2) if first else None


def _node_seconds(transform: dict[str, Any], kind: str) -> float | None:
    return (transform.get("node_seconds_by_kind") or {}).get(kind, {}).get("seconds")


def write_results(result: dict[str, Any], output: Path) -> tuple[Path, Path]:
    """docs/benchmarks/<scale>.json (a run still going or stopped half-way: <scale>.partial.json, so the last
    complete figures stay), and README.md regenerated from the JSON there: per scale the complete figures, or the
    partial ones where there are no complete ones."""
    output.mkdir(parents=True, exist_ok=True)
    complete = result.get("complete", True)
    path = output / (f"{result['scale']}.json" if complete else f"{result['scale']}.partial.json")
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    if complete:
        (output / f"{result['scale']}.partial.json").unlink(missing_ok=True)
    table = output / "README.md"
    table.write_text(markdown(results_to_show(output)), encoding="utf-8")
    return path, table


def results_to_show(output: Path) -> list[Path]:
    """Each scale's complete JSON, or its partial one where it has none."""
    paths = {p.name.removesuffix(".partial.json"): p for p in output.glob("*.partial.json")}
    paths |= {p.stem: p for p in output.glob("*.json") if not p.name.endswith(".partial.json")}
    return sorted(paths.values())


def markdown(paths: list[Path]) -> str:
    from orchestration.bench.report import render_markdown

    return render_markdown([json.loads(p.read_text(encoding="utf-8")) for p in paths])


def main(scale: str, *, output: Path, work_dir: Path, previous_month: bool, history: int, history_scale: str) -> int:
    started = time.monotonic()
    result = benchmark(scale, work_dir=work_dir, previous_month=previous_month, history=history,
                       history_scale=history_scale, checkpoint=lambda partial: write_results(partial, output))
    path, table = write_results(result, output)
    say(f"done in {time.monotonic() - started:.0f}s: {path} and {table}")
    print(json.dumps(result["summary"], indent=2))
    return 0
