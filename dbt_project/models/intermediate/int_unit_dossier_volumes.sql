{#-
    Dossier volumes per unit, period and input source, over the unit and its descendants (the scopes of
    unit_scopes(): as in force, and comparable). A unit with no dossier received in the period and none open at
    its start (dossiers_handled = 0) is "not ranked" (METHODOLOGY.md); anomaly checks compare dossiers_received
    month on month. For the published evaluation (input source portal_published, ranked in a run from it alone),
    the portal's own count: the published denominator of the criteria of code set published_ranking_volume_criteria
    (dossiers received in the period or open at its start), as both received and handled.
-#}

with

scope as (

    select * from ({{ unit_scopes() }})

),

dossier_flags as (

    select * from {{ ref('int_dossier_facts') }}
    where {{ period_is_rebuilt_or_before() }}

),

unit_counts as (

    select
        period_type,
        period_start,
        unit_id,
        count(*) filter (where is_received_in_period) as dossiers_received,
        count(*) filter (where is_in_on_time_set) as dossiers_handled

    from dossier_flags
    group by all

),

published as (

    select
        inputs.period_type,
        inputs.period_start,
        inputs.input_source,
        inputs.unit_id,
        cast(coalesce(max(inputs.denominator), 0) as bigint) as dossiers_received,
        cast(coalesce(max(inputs.denominator), 0) as bigint) as dossiers_handled

    from {{ ref('int_criterion_inputs__portal') }} as inputs
    cross join ({{ rule_code_sets(['published_ranking_volume_criteria']) }}) as code_sets
    where inputs.unit_id is not null
        and list_contains(code_sets.published_ranking_volume_criteria, inputs.criterion_code)
        and {{ rebuilt_rows('inputs.') }}
    group by all

),

from_records as (

    select
        scope.period_type,
        scope.period_start,
        scope.input_source,
        scope.ancestor_unit_id as unit_id,
        cast(coalesce(sum(unit_counts.dossiers_received), 0) as bigint) as dossiers_received,
        cast(coalesce(sum(unit_counts.dossiers_handled), 0) as bigint) as dossiers_handled

    from scope
    left join unit_counts
        on unit_counts.period_type = scope.period_type
        and unit_counts.period_start = scope.period_start
        and unit_counts.unit_id = scope.descendant_unit_id
    where {{ rebuilt_rows('scope.') }}
    group by all

),

final as (

    select * from from_records
    union all
    select * from published

)

select * from final
