{#-
    Dossier volumes per unit, period and input source, over the unit and its descendants (the scopes of
    unit_scopes(): as in force, and comparable). A unit with no dossier received in the period and none open at
    its start (dossiers_handled = 0) is "not ranked" (METHODOLOGY.md); anomaly checks compare dossiers_received
    month on month.
-#}

with

scope as (

    select * from ({{ unit_scopes() }})

),

dossier_flags as (

    select * from {{ ref('int_dossier_flags') }}
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

final as (

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

)

select * from final
