"""When a month runs by itself: on day 5 at 06:00 Vietnam time, for the previous month.

The run key is the partition (the month), so a schedule tick that is evaluated twice (a daemon restart) never
launches the same month twice; rerunning a month after the portal restates it is a manual launch or backfill.
The freshness checks warn when a month's landed feeds are still missing at the schedule's deadline.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from orchestration.partitions import VN_TIMEZONE

MONTHLY_CRON = "0 6 5 * *"  # day 5, 06:00


def previous_month(moment: datetime) -> str:
    """The month before the one `moment` falls in, as YYYY-MM (the month a day-5 run publishes)."""
    year, month = (moment.year - 1, 12) if moment.month == 1 else (moment.year, moment.month - 1)
    return f"{year:04d}-{month:02d}"


def build_monthly_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="monthly_index_schedule",
        cron_schedule=MONTHLY_CRON,
        execution_timezone=VN_TIMEZONE,
        job=job,
        description="Day 5 at 06:00 Vietnam time: extract, build, check and publish the previous month.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def monthly_index_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        month = previous_month(context.scheduled_execution_time)
        return dg.RunRequest(run_key=month, partition_key=month, tags={"dvc_index/month": month})

    return monthly_index_schedule


def build_landing_freshness_checks(assets: list[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """Each landed feed's latest month must be materialised by the schedule's deadline (a warning, not a block)."""
    return list(
        dg.build_time_partition_freshness_checks(
            assets=assets, deadline_cron=MONTHLY_CRON, timezone=VN_TIMEZONE, severity=dg.AssetCheckSeverity.WARN
        )
    )
