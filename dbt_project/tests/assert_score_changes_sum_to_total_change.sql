-- For every unit and period, the criteria's changes in rpt_score_changes sum to the change of the total in
-- rpt_rankings to the cent, and on every row the numerator, denominator and other parts sum to the change.
-- A row here is a failure. Only the rows this run wrote (rows_built_by_this_run): the others were checked when
-- they were built.
-- In Dagster, a check of rpt_score_changes (a singular test reads several nodes: dagster-dbt needs it named).
{{ config(meta={'dagster': {'ref': {'name': 'rpt_score_changes'}}}) }}
with

by_unit as (

    select
        period_type,
        period_start,
        unit_id,
        sum(points_change) as criteria_change,
        count(*) filter (where numerator_effect + denominator_effect + other_effect <> points_change) as unsplit_rows

    from {{ ref('rpt_score_changes') }}
    where {{ rows_built_by_this_run(model_node('rpt_score_changes')) }}
    group by all

)

select
    by_unit.*,
    rankings.points_change as total_change
from by_unit
left join {{ ref('rpt_rankings') }} as rankings
    on rankings.period_type = by_unit.period_type
    and rankings.period_start = by_unit.period_start
    and rankings.unit_id = by_unit.unit_id
where rankings.points_change is distinct from by_unit.criteria_change
    or by_unit.unsplit_rows > 0
