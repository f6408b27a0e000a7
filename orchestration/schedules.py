"""When a month runs by itself: on day 5 at 06:00 Vietnam time, for the previous month.

The run key is the partition (the month), so a schedule tick that is evaluated twice (a daemon restart) never
launches the same month twice; rerunning a month after the portal restates it is a manual launch or backfill.
A freshness policy on the landed feeds flags a month whose feeds are still missing at noon on day 5.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


# Landed feeds are fresh when extracted in the week before noon on day 5 (the run starts at 06:00).
LANDING_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 12 5 * *", lower_bound_delta=timedelta(days=7), timezone=VN_TIMEZONE
)

