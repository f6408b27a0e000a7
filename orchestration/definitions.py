"""The single Dagster entry point: `dagster dev -m orchestration.definitions`.

Stages of a month: ingestion (the portal's feeds → data/raw) → warehouse (dbt: staging → intermediate → marts).
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import warehouse_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project
from orchestration.resources import PortalResource

monthly_job = dg.define_asset_job(
    "monthly_index",
    selection=dg.AssetSelection.assets(*ingestion_assets, warehouse_models),
    description="Extract the portal's feeds for a month and build the warehouse for it.",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[*ingestion_assets, warehouse_models],
    jobs=[monthly_job],
    resources={
        "portal": PortalResource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)
