{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
{#-
    The history of each unit's total points per period as the warehouse computed them, one row per distinct
    (unit, period, source extraction, total): a re-extracted month whose records changed adds a row with the new
    extraction time and total, so rpt_rankings can flag the unit restated (đã điều chỉnh). Totals of the
    period's ranked source: records, or the published evaluation in a run from it alone. Append-only: a rerun
    on the same data adds nothing. A --full-refresh starts the history again from the current extractions;
    replaying the earlier extractions (dbt var pinned_extractions) rebuilds it.
-#}

with

ranked_sources as (

    {{ ranked_sources() }}

),

{#- the totals of the period's ranked source (macros/ranked_sources.sql): records, or the published evaluation's
    inputs in a run from it alone, so that a re-extracted evaluation that moved a total is a restatement too #}
scores as (

    select scores.* from {{ ref('fct_unit_scores') }} as scores
    inner join ranked_sources
        on ranked_sources.period_type = scores.period_type
        and ranked_sources.period_start = scores.period_start
        and ranked_sources.ranked_source = scores.input_source
    {#- only a period this build recomputes can have a new total #}
    where {{ period_is_rebuilt('scores.period_type', 'scores.period_start') }}

),

periods as (

    select * from {{ ref('int_period_evaluation_times') }}

),

current_totals as (

    select
        cast(scores.unit_id as varchar) as unit_id,
        cast(scores.period_type as varchar) as period_type,
        cast(scores.period_start as date) as period_start,
        cast(periods.source_extracted_at as timestamp) as source_extracted_at,
        cast(scores.total_points as decimal(6, 2)) as total_points,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as recorded_at

    from scores
    inner join periods
        on periods.period_type = scores.period_type
        and periods.period_start = scores.period_start

)

select * from current_totals
{% if is_incremental() %}
where not exists (
    select 1
    from {{ this }} as recorded
    where recorded.unit_id = current_totals.unit_id
        and recorded.period_type = current_totals.period_type
        and recorded.period_start = current_totals.period_start
        and recorded.source_extracted_at is not distinct from current_totals.source_extracted_at
        and recorded.total_points = current_totals.total_points
)
{% endif %}
