-- Every unit and period: each group's points equal the sum of its criteria's rounded points, and the total
-- equals the sum of the six groups (METHODOLOGY.md, "Scoring a criterion"). Returns the rows that break it. Only
-- the rows this run wrote (rows_built_by_this_run): the others were checked when they were built.
-- In Dagster, a check of fct_unit_scores (a singular test reads several nodes: dagster-dbt needs it named).
{{ config(meta={'dagster': {'ref': {'name': 'fct_unit_scores'}}}) }}

with

criteria as (

    select
        unit_id,
        period_type,
        period_start,
        input_source,
        sum(case when group_code = 'CKMB' then points else 0 end) as ckmb,
        sum(case when group_code = 'TDGQ' then points else 0 end) as tdgq,
        sum(case when group_code = 'CLGQ' then points else 0 end) as clgq,
        sum(case when group_code = 'TTTT' then points else 0 end) as tttt,
        sum(case when group_code = 'MDSH' then points else 0 end) as mdsh,
        sum(case when group_code = 'MDHL' then points else 0 end) as mdhl

    from {{ ref('fct_criterion_values') }}
    where {{ rows_built_by_this_run(model_node('fct_criterion_values')) }}
    group by all

)

select
    scores.*,
    criteria.ckmb,
    criteria.tdgq,
    criteria.clgq,
    criteria.tttt,
    criteria.mdsh,
    criteria.mdhl

from {{ ref('fct_unit_scores') }} as scores
left join criteria
    using (unit_id, period_type, period_start, input_source)
where {{ rows_built_by_this_run(model_node('fct_unit_scores')) }}
    and (criteria.unit_id is null
    or scores.ckmb_points <> criteria.ckmb
    or scores.tdgq_points <> criteria.tdgq
    or scores.clgq_points <> criteria.clgq
    or scores.tttt_points <> criteria.tttt
    or scores.mdsh_points <> criteria.mdsh
    or scores.mdhl_points <> criteria.mdhl
    or scores.total_points <> scores.ckmb_points + scores.tdgq_points + scores.clgq_points
        + scores.tttt_points + scores.mdsh_points + scores.mdhl_points)
