"""Ingestion: one asset per portal feed, landing each month into the immutable raw zone."""

import time

import dagster as dg

from orchestration.evaluation_landing import EvaluationExtractor
from orchestration.history import context_periods
from orchestration.home_lock import step_lock
from orchestration.landing import EVALUATION, FEEDS, FeedExtractor, dataset_dir_name, list_extractions
from orchestration.partitions import monthly_partitions
from orchestration.progress import rate, report
from orchestration.resources import PortalResource
from orchestration.schedules import LANDING_FRESHNESS
from orchestration.settings import evaluation_periods, load_settings

PROGRESS_EVERY_PAGES = 10


def raw_asset_key(dataset: str) -> dg.AssetKey:
    """The key of a feed's raw asset; the dbt sources name the same keys."""
    return dg.AssetKey(["raw", dataset_dir_name(dataset)])


def build_ingestion_asset(dataset: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(dataset),
        partitions_def=monthly_partitions,
        group_name="ingestion",
        freshness_policy=LANDING_FRESHNESS,
        kinds={"python", "parquet"},
        description=f"The portal's `{dataset}` feed for the month, landed as Parquet with a manifest "
        f"(`raw/{dataset_dir_name(dataset)}/period=YYYY-MM/extracted_at=.../` in the home). Each materialization "
        "adds an extraction.",
    )
    def _ingest(context: dg.AssetExecutionContext, portal: PortalResource) -> dg.MaterializeResult:
        period = context.partition_key
        settings = load_settings()

        started = {"at": time.monotonic(), "period": None}

        def progress(ds: str, per: str, fetched: int, total: int) -> None:
            if started["period"] != per:
                started.update(at=time.monotonic(), period=per)
            page = -(-fetched // portal.page_size)
            if page % PROGRESS_EVERY_PAGES == 0 or fetched >= total:
                speed = rate(fetched, time.monotonic() - started["at"])
                report(context, f"extract {ds} {per}: {fetched:,} of {total:,} records" + (f" ({speed})" if speed else ""))

        def extract(extractor: FeedExtractor, month: str):
            # one landing of a feed's month at a time in a home (home_lock.py): its in-progress folder is shared
            name = f"extract-{dataset_dir_name(dataset)}-{month}"
            with step_lock(settings.home, name, f"extract {dataset} {month}", lambda line: report(context, line)):
                return extractor.extract(dataset, month)

        with portal.client() as client:
            extractor = FeedExtractor(client, settings.raw_dir, portal.page_size, progress=progress)
            result = extract(extractor, period)
            # earlier periods this month's criteria look back on, landed once if missing
            history = [p for p in context_periods(dataset, period) if not list_extractions(settings.raw_dir, dataset, p)]
            for earlier in history:
                report(context, f"extract {dataset}: landing {earlier} too, which {period}'s criteria look back on")
                extract(extractor, earlier)
        return dg.MaterializeResult(
            metadata={
                "history_landed": ", ".join(history) or "none",
                "extraction": result.extraction_id,
                "path": dg.MetadataValue.path(str(result.path)),
                "records": result.record_count,
                "distinct_keys": result.distinct_keys,
                "pages": result.pages,
                "resumed": result.resumed,
                "records_per_second": round(result.records_per_second, 1),
            }
        )

    return _ingest


@dg.asset(
    key=raw_asset_key(EVALUATION),
    partitions_def=monthly_partitions,
    group_name="ingestion",
    freshness_policy=LANDING_FRESHNESS,
    kinds={"python", "parquet"},
    description="The portal's published evaluation of the month, its quarter and its year to date (PORTAL_API.md §2): "
    "every endpoint for the nation and for every unit with subordinate units, down the drill-down to its leaves, "
    "kept whole as it came (DVC_INDEX_EVALUATION_PERIODS chooses the periods).",
)
def raw_evaluation(context: dg.AssetExecutionContext, portal: PortalResource) -> dg.MaterializeResult:
    settings = load_settings()

    def progress(step: str, pages: int) -> None:
        report(context, f"extract evaluation {context.partition_key}: {step} ({pages:,} pages)")

    month = context.partition_key
    with step_lock(settings.home, f"extract-{dataset_dir_name(EVALUATION)}-{month}", f"extract evaluation {month}",
                   lambda line: report(context, line)), portal.client() as client:
        result = EvaluationExtractor(
            client, settings.raw_dir, progress=progress, time_types=evaluation_periods()
        ).extract(month)
    return dg.MaterializeResult(
        metadata={
            "extraction": result.extraction_id,
            "path": dg.MetadataValue.path(str(result.path)),
            "pages": result.record_count,
            "seconds": round(result.seconds, 1),
        }
    )


ingestion_assets = [*(build_ingestion_asset(dataset) for dataset in FEEDS), raw_evaluation]
