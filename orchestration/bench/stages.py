"""The stages of the benchmark, each run in a process of its own so that its peak memory is its own.

`python -m orchestration.bench.stages <stage> '<json arguments>'` prints one JSON object: the stage's figures
plus `seconds` (wall clock), `cpu_seconds` and `peak_rss_mb` (the process and its children, e.g. dbt). Stages:

- `month`: land a month from the simulator over loopback HTTP and build, check and publish it (`run_months`),
  with the duration of each step as Dagster recorded it;
- `extract`: one feed landed over HTTP and directly from the generator (orchestration/bench/extraction.py);
- `transform`: `dbt build` of one month's window on an existing warehouse, as the monthly run's dbt step (the
  incremental path), with dbt's start, node times by kind and the slowest models;
- `single_pass`: DuckDB reading the month's landed dossier columns once and aggregating them by unit and criterion
  in one query, the yardstick the transformation is compared with;
- `gate`: the Great Expectations quality gate of the month;
- `publish`: writing, auditing and publishing the month's release into a scratch releases folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestration.settings import DBT_PROJECT_DIR, load_settings
from orchestration.settings import evaluation_periods as evaluation_periods_setting


def peak_rss_mb() -> float:
    """Peak resident memory of this process and of its (waited-for) children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def stage_month(
    home: str, month: str, scale: str, seed: int = 766, defect_rate: float = 0.002, portal_url: str | None = None,
    evaluation_periods: list[str] | None = None,
) -> dict[str, Any]:
    """The month through the whole pipeline over loopback HTTP. The simulator serves from a process of its own, as
    the real portal is another server: `portal_url`, one the caller started (the benchmark's runner does, so the
    server's memory is not this stage's), or one this stage starts (its memory then counts among its children's).
    `evaluation_periods`, if given, are the periods of the published evaluation the run lands
    (DVC_INDEX_EVALUATION_PERIODS, for this stage's process)."""
    from orchestration.bench.extraction import default_as_of, simulator_process
    from orchestration.pipeline import dagster_instance, run_months
    from orchestration.portal.simulator.generator import SimulatorConfig

    if evaluation_periods:
        os.environ["DVC_INDEX_EVALUATION_PERIODS"] = ",".join(evaluation_periods)
    settings = load_settings({"DVC_INDEX_HOME": home})
    config = SimulatorConfig(seed=seed, scale=scale, defect_rate=defect_rate)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        url = portal_url or stack.enter_context(simulator_process(config, default_as_of(month), "dossiers", month))
        generation = time.perf_counter() - started
        summary = run_months([month], portal_url=url, settings=settings)[0]
    return {
        "generation_seconds": round(generation, 2),
        "steps": step_seconds(dagster_instance(settings), summary.run_id),
        "records": {k: v.get("records", v.get("pages")) for k, v in summary.extractions.items()},
        "release": summary.release.get("path"),
        "evaluation_periods": evaluation_periods or list(evaluation_periods_setting()),
    }


def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall seconds of each step of a Dagster run, from its event log."""
    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not record.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[record.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and record.step_key in started:
            durations[record.step_key] = round(record.timestamp - started[record.step_key], 2)
    return durations


def stage_extract(month: str, scale: str, seed: int = 766) -> dict[str, Any]:
    from orchestration.bench.extraction import measure_extraction

    return measure_extraction(scale, month, seed=seed)


def stage_transform(home: str, month: str) -> dict[str, Any]:
    """dbt build of the month's window, as the monthly run's dbt step builds it (same arguments and environment,
    the same target folder of the home, so the same partial parse), with where the time went (run_results.json)."""
    import shutil

    from orchestration.build_window import dbt_build_args, dbt_window_env

    window_args = dbt_build_args()  # exactly the monthly dbt step's: ["build", ...], the window in the environment
    settings = load_settings({"DVC_INDEX_HOME": home})
    env = {**os.environ, **settings.dbt_env(), **dbt_window_env(month, month)}
    env.pop("PORTAL_TOKEN", None)
    target = settings.dbt_target_dir
    partial_parse = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    if partial_parse.exists() and not (target / partial_parse.name).exists():  # as dagster-dbt seeds a target
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(partial_parse, target / partial_parse.name)
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as scratch:
        args = [
            str(Path(sys.executable).parent / "dbt"), *window_args, "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target),
            "--log-path", str(Path(scratch) / "logs"), "--quiet",
        ]
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError("dbt build failed:\n" + (done.stdout + done.stderr)[-3000:])
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    return {"dbt": "build", "window": month, "args": window_args, **build_breakdown(results, wall)}


def build_breakdown(results: dict[str, Any], wall_seconds: float) -> dict[str, Any]:
    """Where a dbt build's time went: dbt's own start (parsing, connecting) beside the nodes' run; the nodes'
    execution time summed by kind (threads overlap, so the sums exceed the run); the slowest models."""
    by_kind: dict[str, dict[str, float]] = {}
    models = []
    for node in results["results"]:
        kind = node["unique_id"].split(".", 1)[0]
        entry = by_kind.setdefault(kind, {"nodes": 0, "seconds": 0.0})
        entry["nodes"] += 1
        entry["seconds"] = round(entry["seconds"] + node["execution_time"], 3)
        if kind == "model":
            models.append((round(node["execution_time"], 2), node["unique_id"].rsplit(".", 1)[-1]))
    elapsed = results.get("elapsed_time") or 0.0
    return {
        "dbt_wall_seconds": round(wall_seconds, 2),
        "dbt_run_seconds": round(elapsed, 2),
        "dbt_start_seconds": round(max(wall_seconds - elapsed, 0.0), 2),
        "node_seconds_by_kind": by_kind,
        "slowest_models": [{"model": name, "seconds": seconds} for seconds, name in sorted(models, reverse=True)[:10]],
    }


# One scan of the landed dossier columns the criteria read, parsed and aggregated by unit in one query: what the
# transformation is compared with (it does far more: lifecycles, working days, catalogue, unit tree, rules).
SINGLE_PASS_SQL = """
with dossiers as (
    select
        MaDonViXuLy as unit_id,
        MaTTHC as procedure_id,
        KenhThucHien = '2' as is_online,
        coalesce(DongBoDVCQG, '') in ('1', 'true') as is_synced,
        try_strptime(NgayTiepNhan, '%Y%m%d%H%M%S') as received_at,
        try_strptime(NgayHenTra, '%Y%m%d%H%M%S') as due_at,
        try_strptime(NgayKetThucXuLy, '%Y%m%d%H%M%S') as ended_at,
        coalesce(DuocThanhToanTrucTuyen, '') not in ('', '0') as is_paid_online,
        coalesce(TaiKhoanDuocXacThucVoiVNeID, '') in ('1', 'true') or coalesce(DSKetNoiCSDL, '[]') <> '[]'
            as is_citizen_data_connected,
        json_array_length(try_cast(TaiLieuNop as json)) as components,
        TrangThaiHoSo as status
    from read_parquet(?)
)
select
    unit_id,
    count(*) as received,
    count(*) filter (where is_online) as online,
    count(*) filter (where is_synced) as synced,
    count(*) filter (where ended_at <= due_at) as on_time,
    count(*) filter (where ended_at is not null) as ended,
    count(*) filter (where is_paid_online) as paid_online,
    count(*) filter (where is_citizen_data_connected) as citizen_data_connected,
    sum(components) as components,
    count(distinct procedure_id) as procedures,
    count(*) filter (where status in ('9', '10')) as processed
from dossiers
group by all
"""


def stage_single_pass(home: str, month: str) -> dict[str, Any]:
    import duckdb

    settings = load_settings({"DVC_INDEX_HOME": home})
    extraction = sorted((settings.raw_dir / "dossiers" / f"period={month}").glob("extracted_at=*"))[-1]
    parts = [str(p) for p in sorted(extraction.glob("part-*.parquet"))]
    con = duckdb.connect()
    started = time.perf_counter()
    rows = con.execute(SINGLE_PASS_SQL, [parts]).fetchall()
    return {"units": len(rows), "query_seconds": round(time.perf_counter() - started, 3), "files": len(parts)}


def stage_gate(home: str, month: str) -> dict[str, Any]:
    from orchestration.quality.gate import run_quality_gate

    settings = load_settings({"DVC_INDEX_HOME": home})
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as scratch:
        result = run_quality_gate(settings.duckdb_path, month, quality_dir=Path(scratch))
        return {"passed": result.passed, "checks": len(result.checks)}


def stage_publish(home: str, month: str) -> dict[str, Any]:
    from orchestration.publication import publish_release
    from orchestration.publication.inputs import release_inputs

    settings = load_settings({"DVC_INDEX_HOME": home})
    with tempfile.TemporaryDirectory(prefix="bench-releases-", dir=settings.home) as scratch:
        published = publish_release(
            settings.duckdb_path, month, releases_dir=Path(scratch), raw_dir=settings.raw_dir,
            input_files=release_inputs(settings.raw_dir),
        )
        size = sum(p.stat().st_size for p in published.path.rglob("*") if p.is_file())
        return {"status": published.status, "release_mb": round(size / 2**20, 1)}


STAGES = {
    "month": stage_month,
    "extract": stage_extract,
    "transform": stage_transform,
    "single_pass": stage_single_pass,
    "gate": stage_gate,
    "publish": stage_publish,
}


def main(argv: list[str]) -> int:
    name, arguments = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    started, cpu = time.perf_counter(), time.process_time()
    result = STAGES[name](**arguments)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.update(
        stage=name,
        seconds=round(time.perf_counter() - started, 3),
        cpu_seconds=round(time.process_time() - cpu + children.ru_utime + children.ru_stime, 3),
        peak_rss_mb=peak_rss_mb(),
        finished_at=datetime.now().isoformat(timespec="seconds"),
    )
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
