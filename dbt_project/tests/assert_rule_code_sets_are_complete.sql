-- In Dagster, a check of rule_code_sets (a singular test reads several nodes: dagster-dbt needs it named).
{{ config(meta={'dagster': {'ref': {'name': 'rule_code_sets'}}}) }}
{#-
    Every code set the models read (macros/rule_code_sets.sql) has at least one value in the active rule versions.
    An empty set is not an error in SQL: every dossier would silently read as not paid online, not connected to
    citizen data, never rated dissatisfied. One row per empty set.
-#}

with

read_by_models as (

    select unnest([
        'citizen_data_databases',
        'online_payment_channels',
        'dissatisfied_rating_results',
        'citizen_applicant_types',
        'public_publication_statuses',
        'published_ranking_volume_criteria'
    ]) as code_set

),

active_values as (

    select code_set, count(*) as code_count
    from {{ ref('rule_code_sets') }}
    where rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)
    group by code_set

)

select read_by_models.code_set
from read_by_models
left join active_values
    on active_values.code_set = read_by_models.code_set
where coalesce(active_values.code_count, 0) = 0
