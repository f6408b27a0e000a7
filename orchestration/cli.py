"""`dvc-index`: run months of the index, reproduce a release, benchmark, serve the portal simulator."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration import __version__
from orchestration.settings import MONTH_PATTERN, Settings, load_settings

if TYPE_CHECKING:
    from orchestration.portal.simulator.generator import PortalData

EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the home; try again later (or --wait)


def _month(value: str) -> str:
    if not MONTH_PATTERN.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a month: use YYYY-MM, e.g. 2025-07")
    return value


# libraries whose INFO lines say nothing a user of a month's run needs (shown with --verbose)
QUIET_LOGGERS = ("httpx", "alembic", "dagster_dbt", "urllib3", "great_expectations")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dvc-index", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dvc-index {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="everything: debug logging, Dagster's console and dbt's line per node (default: one line per step of "
        "progress, and warnings)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="extract and build each month in order")
    run.add_argument("--month", type=_month, required=True, help="first month, YYYY-MM")
    run.add_argument("--through", type=_month, help="last month, YYYY-MM (default: --month)")
    run.add_argument("--portal-url", help="portal base URL (default: PORTAL_BASE_URL, else the embedded simulator)")
    run.add_argument("--full-refresh", action="store_true", help="rebuild the warehouse's incremental models")
    _source_option(run)
    _wait_option(run)
    _simulator_options(run)

    backfill = sub.add_parser("backfill", help="land and build a range of months in order, one line per month")
    backfill.add_argument("--from", dest="first", type=_month, required=True, help="first month, YYYY-MM")
    backfill.add_argument("--through", type=_month, required=True, help="last month, YYYY-MM")
    backfill.add_argument("--portal-url", help="portal base URL (default: PORTAL_BASE_URL, else the embedded simulator)")
    backfill.add_argument(
        "--rerun", action="store_true",
        help="extract and build every month again (default: resume, skipping months already published from the source)",
    )
    _source_option(backfill)
    _wait_option(backfill)
    _simulator_options(backfill)

    docs = sub.add_parser("docs", help="the dbt documentation site, one self-contained page that opens offline")
    docs.add_argument("--target-path", type=Path, help="dbt's target folder (default: dbt_project/target)")

    ui = sub.add_parser(
        "ui", help="the Dagster UI (`dagster dev`) over the project's definitions and this home's runs"
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to serve on (default: loopback only)")
    ui.add_argument("--port", type=int, default=3000)

    reproduce = sub.add_parser(
        "reproduce", help="rebuild a published release from the raw files its manifest names and compare hashes"
    )
    reproduce.add_argument("--month", type=_month, required=True, help="the release's month, YYYY-MM")
    reproduce.add_argument("--version", type=int, required=True, dest="release_version", help="N of vN")

    bench = sub.add_parser("bench", help="measure extraction, transformation, gate and publication at a scale")
    bench.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "national"])
    bench.add_argument("--output", type=Path, default=Path("docs/benchmarks"), help="where the JSON and table go")
    bench.add_argument("--work-dir", type=Path, help="scratch data (default: $DVC_INDEX_HOME/bench)")
    bench.add_argument("--no-previous-month", action="store_true", help="skip running the month before first")
    bench.add_argument("--history", type=int, default=0, metavar="N", help="also run N consecutive months")
    bench.add_argument("--history-scale", default="tiny", choices=["tiny", "small", "medium"])

    sim = sub.add_parser("simulate-portal", help="serve the portal simulator alone")
    sim.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND:RATE",
        help="inject a fault into a share of requests: 429, 500, 502, 503, 504, slow, drop, shift",
    )
    sim.add_argument("--require-token", action="store_true", help="reject requests without PORTAL_TOKEN's value")
    sim.add_argument(
        "--evaluation-only", action="store_true",
        help="serve the published evaluation only, as a public portal: every record feed answers 404",
    )
    sim.add_argument(
        "--prepare-evaluation",
        action="append",
        default=[],
        type=_month,
        metavar="YYYY-MM",
        help="compute this month's published evaluation before listening (national scale: about 20 minutes, which "
        "on a request would outlast the client's timeout); repeatable",
    )
    _simulator_options(sim)
    return parser


def _source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", choices=["records", "evaluation"], default="records",
        help="records (default): the record feeds, reconciled with the published evaluation; evaluation: the "
        "published evaluation alone (a public portal), ranked from the portal's own numerators and denominators",
    )


def _wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true",
        help="if another run holds this home, wait for it to end (default: exit at once, with status 75, naming it)",
    )


def _ui(args: argparse.Namespace, settings) -> int:
    """`dagster dev` on orchestration.definitions, with the instance `dvc-index run` writes to (DAGSTER_HOME,
    default $DVC_INDEX_HOME/dagster, telemetry off: the UI then loads nothing from the internet) and the home's
    paths in the environment of the code server. The process becomes dagster's, so Ctrl-C stops it all."""
    from orchestration.pipeline import dagster_instance, export_paths

    instance = dagster_instance(settings)
    export_paths(settings)
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-h", args.host, "-p", str(args.port)]
    if not args.verbose:
        command += ["--log-level", "warning", "--code-server-log-level", "warning"]
    print(f"Dagster UI: http://{args.host}:{args.port} (runs of {instance.root_directory})", flush=True)
    os.execv(command[0], command)
    return 0  # not reached


def _simulator_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("embedded portal simulator")
    group.add_argument("--seed", type=int, default=766)
    group.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "national"])
    group.add_argument("--defect-rate", type=float, default=0.002)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # Dagster's console logger prints its run's events already: not a second time through the root logger
    logging.getLogger("dagster.builtin").propagate = False
    if not args.verbose:  # their start-up lines (a migration check per instance) would drown the run's progress
        for noisy in QUIET_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = load_settings()
    if args.command == "run":
        return _run(args, settings)
    if args.command == "backfill":
        return _backfill(args, settings)
    if args.command == "simulate-portal":
        return _simulate(args, settings)
    if args.command == "reproduce":
        return _reproduce(args, settings)
    if args.command == "ui":
        return _ui(args, settings)
    if args.command == "docs":
        from orchestration.dbt_docs import DocsError, build_docs

        print("generating the dbt docs (dbt docs generate --static)...", flush=True)
        try:
            page = build_docs(settings, args.target_path)
        except DocsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"dbt docs: {page} (open it in a browser; it needs no network)")
        return 0
    if args.command == "bench":
        from orchestration.bench.runner import main as bench_main

        return bench_main(
            args.scale, output=args.output, work_dir=args.work_dir or settings.home / "bench",
            previous_month=not args.no_previous_month, history=args.history, history_scale=args.history_scale,
        )
    raise AssertionError(args.command)  # pragma: no cover


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.partitions import months_between

    try:
        months = months_between(args.month, args.through or args.month)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _run_months(args, settings, months, full_refresh=args.full_refresh)


def _run_months(
    args: argparse.Namespace, settings: Settings, months: list[str], *, full_refresh: bool = False,
    progress: bool = False,
) -> int:
    from orchestration.home_lock import HOME_LOCK, HomeBusy, hold

    what = f"dvc-index {args.command} " + (f"{months[0]} to {months[-1]}" if len(months) > 1 else "".join(months))

    def waiting(holder) -> None:
        print(f"waiting: {settings.home} is in use by {holder.describe()}", file=sys.stderr, flush=True)

    def stale(holder) -> None:
        print(f"note: recovered the lock of {holder.describe()}, which has ended", file=sys.stderr, flush=True)

    try:
        with hold(settings.home, HOME_LOCK, what, wait=None if args.wait else 0, on_wait=waiting, on_stale=stale):
            return _run_months_locked(args, settings, months, full_refresh=full_refresh, progress=progress)
    except HomeBusy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return EXIT_BUSY


def _run_months_locked(
    args: argparse.Namespace, settings: Settings, months: list[str], *, full_refresh: bool, progress: bool,
) -> int:
    from orchestration.pipeline import MonthFailed, run_months

    url = args.portal_url or settings.portal_base_url
    simulator = None
    if not url:
        from orchestration.portal.simulator.generator import SimulatorConfig
        from orchestration.portal.simulator.server import PortalSimulator

        config = SimulatorConfig(seed=args.seed, scale=args.scale, defect_rate=args.defect_rate)
        simulator = PortalSimulator(config, token=settings.portal_token).start()
        url = simulator.url
        print(f"portal: embedded simulator on {url} (seed {args.seed}, scale {args.scale})", file=sys.stderr)
    else:
        print(f"portal: {url}", file=sys.stderr)
    if args.source == "evaluation":
        print("source: the published evaluation alone (no record feed is asked for)", file=sys.stderr)
    started = time.monotonic()
    if not months:
        print("nothing to do: every month of the range is already published from this source")
        return 0
    try:
        if not args.verbose:
            from orchestration.progress import show_progress_on

            show_progress_on(sys.stderr)
        summaries = run_months(
            months, portal_url=url, settings=settings, full_refresh=full_refresh, source=args.source,
            progress=progress, verbose=args.verbose,
        )
    except MonthFailed as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    finally:
        if simulator is not None:
            simulator.stop()
    print(f"\ndone: {len(summaries)} month(s) in {time.monotonic() - started:.0f}s")
    for summary in summaries:
        print(summary.render())
    print(f"warehouse: {settings.duckdb_path}")
    print(f"raw landing: {settings.raw_dir}")
    return 0


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    """A range of months in order. Resumable: a month whose latest release was built from the same source is
    skipped (unless --rerun), so a backfill stopped at any point goes on where it stopped."""
    from orchestration.partitions import months_between
    from orchestration.publication.layout import latest_release_source

    try:
        months = months_between(args.first, args.through)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    todo = []
    for month in months:
        if not args.rerun and latest_release_source(settings.releases_dir, month) == args.source:
            print(f"[skip] {month}: already published from {args.source} (--rerun builds it again)")
        else:
            todo.append(month)
    return _run_months(args, settings, todo, progress=True)


def _reproduce(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.publication import PublicationError, reproduce
    from orchestration.publication.rebuild import rebuild_warehouse

    print(
        f"reproducing {args.month} v{args.release_version} from {settings.raw_dir} (a full dbt build: minutes)",
        file=sys.stderr,
        flush=True,
    )
    try:
        result = reproduce(
            args.month,
            args.release_version,
            rebuild_warehouse,
            releases_dir=settings.releases_dir,
            raw_dir=settings.raw_dir,
            work_dir=settings.home,
        )
    except (PublicationError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in result.missing_inputs:
        print(f"missing raw input: {path}", file=sys.stderr)
    for path in result.changed_inputs:
        print(f"raw input changed since publication: {path}", file=sys.stderr)
    for mismatch in result.mismatches:
        print(f"output differs: {mismatch.output} (published {mismatch.expected_sha256[:12]}, rebuilt "
              f"{(mismatch.actual_sha256 or 'missing')[:12]})", file=sys.stderr)
    if result.ok:
        print(f"{args.month} v{args.release_version} reproduced: {result.outputs_compared} output hashes match")
        return 0
    print(f"{args.month} v{args.release_version} NOT reproduced", file=sys.stderr)
    return 1


def prepare_evaluations(data: PortalData, as_of: datetime, months: Sequence[str]) -> None:
    """Computes the published evaluation of each month at the clock `as_of`, before the simulator serves (see
    `evaluation.prepare`); a clock moved later through /_sim/clock computes afresh on request. Raises ValueError
    for a month the simulator cannot evaluate at `as_of`."""
    from orchestration.portal.simulator import evaluation

    for month in months:
        started = time.monotonic()
        print(f"preparing the published evaluation of {month}, its quarter and its year (each with the period "
              "before, for scoreDelta)...", flush=True)
        evaluation.prepare(data, month, as_of)
        print(f"prepared {month} in {time.monotonic() - started:.0f} s", flush=True)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.portal.simulator.faults import FaultPlan, parse_rates
    from orchestration.portal.simulator.generator import VN_TZ, PortalData, SimulatorConfig
    from orchestration.portal.simulator.server import PortalSimulator

    if not args.host.startswith("127.") and args.host not in {"localhost", "::1"}:
        print("error: the simulator serves on loopback only (127.0.0.0/8, localhost, ::1)", file=sys.stderr)
        return 2
    try:
        faults = FaultPlan(rates=parse_rates(args.fault), seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    token = settings.portal_token if args.require_token else None
    if args.require_token and not token:
        print("error: --require-token needs PORTAL_TOKEN set", file=sys.stderr)
        return 2
    config = SimulatorConfig(seed=args.seed, scale=args.scale, defect_rate=args.defect_rate)
    data = PortalData(config)
    as_of = datetime.now(VN_TZ).replace(microsecond=0)  # the clock the prepared evaluations are computed at
    try:  # before binding the port: no client connects to a server that cannot answer yet
        prepare_evaluations(data, as_of, args.prepare_evaluation)
    except ValueError as exc:
        print(f"error: --prepare-evaluation: {exc}", file=sys.stderr)
        return 2
    sim = PortalSimulator(config, token=token, faults=faults, host=args.host, port=args.port, as_of=as_of, data=data,
                          serve_feeds=not args.evaluation_only)
    mode = ", evaluation only: record feeds answer 404" if args.evaluation_only else ""
    print(f"portal simulator on {sim.url} (seed {args.seed}, scale {args.scale}{mode}); Ctrl-C stops it", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
