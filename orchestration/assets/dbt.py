"""The warehouse: dbt models in DuckDB, staging → intermediate → marts, built per month."""


from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.build_window import build_window, dbt_build_args, window_in_environment
from orchestration.dbt_project import dbt_project
from orchestration.partitions import monthly_partitions
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
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig) -> Iterator:
    window = context.partition_key_range
    settings = load_settings()
    period_from, period_to = build_window(window.start, window.end, settings.raw_dir, settings.duckdb_path)
    if period_from != window.start:
        context.log.info(f"staging also builds {period_from} onwards: history landed for this month's lookbacks")
    args = dbt_build_args(full_refresh=config.full_refresh)
    with window_in_environment(period_from, period_to):
        yield from dbt.cli(args, context=context, target_path=settings.dbt_target_dir).stream()
