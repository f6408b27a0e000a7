"""The warehouse: dbt models in DuckDB, staging → intermediate → marts, built per month."""


import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.build_window import build_window, dbt_build_args, window_in_environment
from orchestration.dbt_project import dbt_project
from orchestration.home_lock import HOME_LOCK, step_lock
from orchestration.partitions import monthly_partitions
from orchestration.progress import DbtProgress, report, verbose
from orchestration.settings import load_settings

WAREHOUSE_POOL = "duckdb_warehouse"  # DuckDB admits one writing process: one warehouse step at a time


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt nodes as Dagster assets: models keyed by layer and name, grouped by layer."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest.get("nodes", {}).get(unique_id) or manifest.get("sources", {}).get(unique_id) or {}
        if node.get("resource_type") in {"model", "seed", "snapshot"}:
            layer = node.get("fqn", [None, None])[1] if len(node.get("fqn", [])) > 2 else "seeds"
            spec = spec.replace_attributes(group_name=layer or "warehouse")
        return spec


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=monthly_partitions,
    dagster_dbt_translator=WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=WAREHOUSE_POOL,
    # one month per run, in order, as the job's other assets run (a month's criteria read the months before it);
    # dagster-dbt's default for time partitions, a single run of a whole range, made Dagster warn at every run
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig) -> Iterator:
    window = context.partition_key_range
    settings = load_settings()
    # the warehouse is this home's: a run Dagster launches waits for another run's step here (home_lock.py)
    with step_lock(settings.home, HOME_LOCK, f"dbt {window.start}", lambda line: report(context, line)):
        yield from _build(context, dbt, config, window, settings)


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, window, settings) -> Iterator:
    period_from, period_to = build_window(window.start, window.end, settings.raw_dir, settings.duckdb_path)
    if period_from != window.start:
        report(context, f"dbt {window.start}: staging also builds {period_from} onwards, history landed for this "
                        "month's lookbacks")
    args = dbt_build_args(full_refresh=config.full_refresh)
    report(context, f"dbt {window.start}: dbt build of {period_from} to {period_to} starting")
    # dagster-dbt prints each of dbt's lines on stdout: a quiet run counts them instead (dbt's log file keeps them)
    lines = (contextlib.nullcontext() if verbose()
             else contextlib.redirect_stdout(DbtProgress(lambda m: report(context, m), f"dbt {window.start}")))
    with window_in_environment(period_from, period_to), lines:
        yield from dbt.cli(args, context=context, target_path=settings.dbt_target_dir).stream()
