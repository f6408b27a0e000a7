"""The single Dagster entry point: `dagster dev -m orchestration.definitions`.

Stages of a month: ingestion (the portal's feeds → data/raw) → warehouse (dbt: staging → intermediate → marts,
with dbt's tests) → quality (Great Expectations, a blocking check) → release (data/releases/YYYY-MM/vN/). A
schedule runs the previous month on day 5 at 06:00 Vietnam time; a freshness policy watches the landed feeds.
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import warehouse_models
from orchestration.assets.ingestion import ingestion_assets, raw_evaluation
from orchestration.assets.publication import monthly_release
from orchestration.assets.quality import quality_gate
from orchestration.dbt_project import DBT_EXECUTABLE, dbt_project
from orchestration.resources import PortalResource
from orchestration.schedules import build_monthly_schedule

monthly_job = dg.define_asset_job(
    "monthly_index",
    selection=dg.AssetSelection.assets(*ingestion_assets, warehouse_models, quality_gate, monthly_release),
    description="Extract the portal's feeds for a month, build the warehouse, check it and publish the release.",
    executor_def=dg.in_process_executor,
)

# The published evaluation alone (PORTAL_API.md §2, public): no record feed is asked for; the warehouse builds
# dim_units from the evaluation and ranks the portal's own numerators and denominators (`--source evaluation`).
evaluation_job = dg.define_asset_job(
    "monthly_index_from_evaluation",
    selection=dg.AssetSelection.assets(raw_evaluation, warehouse_models, quality_gate, monthly_release),
    description="Extract the portal's published evaluation of a month (month, quarter, year; every level), build "
    "the warehouse from it alone, check it and publish the release.",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[*ingestion_assets, warehouse_models, quality_gate, monthly_release],
    jobs=[monthly_job, evaluation_job],
    schedules=[build_monthly_schedule(monthly_job)],
    resources={
        "portal": PortalResource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)
