"""How fast one feed of one month lands from the portal simulator: over loopback HTTP and without HTTP.

The two numbers separate the costs: `http` is what an extraction from the portal costs (`PortalClient` over
loopback, `FeedExtractor` writing Parquet parts and checkpoints) with the simulator serving from a process of its
own, as the real portal is another server; `direct` feeds the same rows from the generator straight into
`FeedExtractor`, so the difference is the price of HTTP, JSON and paging. (`make run`'s embedded simulator is a
thread of the pipeline's process and takes its share of that process's interpreter.)

The simulator's data are generated before the clock starts (`generation_seconds` reports it; the server process
prepares the month's feed before it says it is ready): a real portal reads records from its database, so
synthesising them is not part of what extraction costs.

Peak RSS is measured per phase where Linux allows resetting the high-water mark (`/proc/self/clear_refs`), else it
is the process's peak so far.
"""

from __future__ import annotations

import contextlib
import json
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from orchestration.landing import FeedExtractor
from orchestration.portal.client import MAX_PAGE_SIZE, FeedPage, PortalClient
from orchestration.portal.simulator import evaluation
from orchestration.portal.simulator.generator import PortalData, SimulatorConfig
from orchestration.portal.simulator.server import PortalSimulator

VN_TZ = timezone(timedelta(hours=7))
MODES = ("http", "direct")


@contextlib.contextmanager
def simulator_process(config: SimulatorConfig, as_of: datetime, dataset: str, month: str, *,
                      evaluation: tuple[str, ...] = ()) -> Iterator[str]:
    """The simulator serving from a child process (`python -m orchestration.bench.extraction serve ...`), with
    `dataset` of `month` prepared, and the published evaluation of the month's periods in `evaluation` (month,
    quarter, year) too; yields its URL. The child ends with the block."""
    arguments = {"seed": config.seed, "scale": config.scale, "defect_rate": config.defect_rate,
                 "as_of": as_of.isoformat(), "dataset": dataset, "month": month, "evaluation": list(evaluation)}
    child = subprocess.Popen(
        [sys.executable, "-m", "orchestration.bench.extraction", "serve", json.dumps(arguments)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        if not line.startswith("http://"):
            raise RuntimeError(f"the simulator process did not start (exit code {child.poll()}): {line!r}")
        yield line.strip()
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:  # not ended by SIGTERM (still preparing its feed, say): no waiting on
            child.kill()
            child.wait()


def _serve(arguments: dict[str, Any]) -> None:
    """The child of simulator_process: prepare the feed, print the URL, serve until terminated."""
    # a parent that ignores SIGTERM (a background job of some shells and CI runners) passes that on through exec:
    # this server must still end when simulator_process terminates it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    config = SimulatorConfig(seed=arguments["seed"], scale=arguments["scale"], defect_rate=arguments["defect_rate"])
    as_of = datetime.fromisoformat(arguments["as_of"])
    data = PortalData(config)
    if arguments.get("evaluation"):
        # computed on a request, a national month's evaluation takes longer than a client waits: the server does
        # it before it listens (first, since it reads other feeds than the one prepared next)
        evaluation.prepare(data, arguments["month"], as_of, tuple(arguments["evaluation"]))
    data.feed(arguments["dataset"], arguments["month"], as_of)
    simulator = PortalSimulator(config, data=data, as_of=as_of)
    print(simulator.url, flush=True)
    simulator.serve_forever()


def default_as_of(month: str) -> datetime:
    """The first day of the eighth month after `month`: past the simulator's horizon, so every record has synced."""
    y, m = (int(p) for p in month.split("-"))
    i = y * 12 + m - 1 + 8
    return datetime(i // 12, i % 12 + 1, 1, 9, 0, tzinfo=VN_TZ)


@dataclass
class GeneratorClient:
    """Serves `FeedExtractor` pages straight from the generator (no server, no HTTP, no JSON).

    It honours the paging contract (cursor, `total`, `next_cursor: null` on the last page) so the extractor runs
    unchanged; its cursor is simply the offset.
    """

    data: PortalData
    as_of: datetime
    base_url: str = "generator:"

    def feed_url(self, dataset: str) -> str:
        return f"{self.base_url}{dataset}"

    def get_feed_page(self, dataset: str, period: str, cursor: str | None = None, limit: int = 1000) -> FeedPage:
        feed = self.data.feed(dataset, period, self.as_of)
        start = int(cursor or 0)
        stop = min(len(feed), start + limit)
        return FeedPage(
            dataset=dataset,
            period=period,
            total=feed.total,
            next_cursor=str(stop) if stop < len(feed) else None,
            generated_at=feed.generated_at,
            records=feed.rows(start, stop),
        )

    def close(self) -> None:
        pass


def measure_extraction(
    scale: str = "small",
    month: str = "2025-07",
    *,
    dataset: str = "dossiers",
    seed: int = 766,
    defect_rate: float = 0.002,
    as_of: datetime | None = None,
    page_size: int = MAX_PAGE_SIZE,
    modes: tuple[str, ...] = MODES,
    work_dir: Path | None = None,
    data: PortalData | None = None,
) -> dict[str, Any]:
    """Land `dataset` for `month` at `scale` once per mode and report records per second and peak RSS.

    Returns ``{"dataset", "month", "scale", "records", "total", "page_size", "generation_seconds",
    "generation_peak_rss_mb", "http": {...}, "direct": {...}, "peak_rss_mb"}`` where each mode holds
    ``seconds``, ``cpu_seconds``, ``records``, ``pages``, ``records_per_second``, ``records_per_cpu_second`` and
    ``peak_rss_mb``. The landed files are written under `work_dir` (in a temporary directory, removed afterwards).

    ``cpu_seconds`` is the extracting process's CPU time with its landing workers' (the simulator's own is not
    counted): on a machine shared with other work, records per CPU second say what the code costs, records per
    second what this run got. Over HTTP, ``peak_rss_mb`` adds to the process's peak that of each landing worker
    (taken at the largest one's: they run side by side), an upper bound.
    """
    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}; expected some of {MODES}")
    as_of = as_of or default_as_of(month)
    data = data or PortalData(SimulatorConfig(seed=seed, scale=scale, defect_rate=defect_rate))
    scale = data.config.scale
    result: dict[str, Any] = {"dataset": dataset, "month": month, "scale": scale, "page_size": page_size}

    with tempfile.TemporaryDirectory(prefix="dvc-bench-", dir=work_dir) as tmp:
        # HTTP first, while this process holds no generated feed (the server generates its own), so its peak is
        # the extractor's; then the feed is generated here for the direct mode
        for mode in sorted(modes, key=lambda m: m != "http"):
            raw_dir = Path(tmp) / mode
            workers = None
            if mode == "http":
                with simulator_process(data.config, as_of, dataset, month) as url, PortalClient(url) as client:
                    _reset_peak_rss()  # the clock starts once the server is ready
                    cpu_started = time.process_time()
                    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    extractor = FeedExtractor(client, raw_dir, page_size=page_size)
                    landed = extractor.extract(dataset, month)
                    # the landing workers have been reaped (the server, still running, has not): their CPU and the
                    # largest one's peak memory
                    children = resource.getrusage(resource.RUSAGE_CHILDREN)
                    workers = {
                        "landing_workers": extractor.workers,
                        "landing_workers_cpu_seconds": round(
                            children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime, 3
                        ),
                        "landing_worker_peak_rss_mb": round(children.ru_maxrss / 1024, 1),
                    }
            else:
                _reset_peak_rss()
                started = time.perf_counter()
                feed = data.feed(dataset, month, as_of)
                result["generation_seconds"] = round(time.perf_counter() - started, 3)
                result["generation_peak_rss_mb"] = _peak_rss_mb()
                result["records"], result["total"] = len(feed), feed.total
                _reset_peak_rss()
                cpu_started = time.process_time()
                client = GeneratorClient(data, as_of)
                landed = FeedExtractor(client, raw_dir, page_size=page_size).extract(dataset, month)  # type: ignore[arg-type]
            cpu_seconds = time.process_time() - cpu_started
            peak = _peak_rss_mb()
            if workers and workers["landing_workers_cpu_seconds"] > 0:
                cpu_seconds += workers["landing_workers_cpu_seconds"]
                # the workers run side by side: at most each at the largest one's peak, with this process's
                peak = round(peak + workers["landing_workers"] * workers["landing_worker_peak_rss_mb"], 1)
            result.setdefault("records", landed.record_count)
            result.setdefault("total", landed.total_reported)
            result[mode] = {
                "seconds": round(landed.seconds, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "records": landed.record_count,
                "pages": landed.pages,
                "records_per_second": round(landed.records_per_second, 1),
                "records_per_cpu_second": round(landed.record_count / cpu_seconds, 1) if cpu_seconds else None,
                "peak_rss_mb": peak,
                **(workers or {}),
            }
    result["peak_rss_mb"] = max(
        [result.get("generation_peak_rss_mb", 0.0)] + [result[m]["peak_rss_mb"] for m in modes]
    )
    return result


def _reset_peak_rss() -> None:
    # not Linux, or not allowed: the peak stays the process's peak so far
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"]:
        raise SystemExit("usage: python -m orchestration.bench.extraction serve '<json arguments>'")
    _serve(json.loads(sys.argv[2]))
