{#-
    For each period: every unit in force in it (the units evaluated) and, for each, the units whose records it
    counts: itself and all its descendants in force, through int_unit_closure. As in the simulator's reading,
    a unit is in force in P when valid_from <= the evaluation day and valid_to (if any) >= the period's start; a
    chain of parents stops at a parent not in force, and at a province or ministry (the top of a block).
-#}

with

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ rebuilt_rows() }}

),

units as (

    select * from {{ ref('int_units') }}
    -- the units feed's units: one that only the published evaluation knows has no records
    where unit_source = 'units_feed'

),

closure as (

    select * from {{ ref('int_unit_closure') }}

),

units_in_force as (

    select
        periods.period_type,
        periods.period_start,
        units.unit_id,
        units.unit_type,
        units.valid_to is null
            or units.valid_to >= cast(periods.evaluated_at as date) as is_in_force_at_end

    from periods
    inner join units
        on units.valid_from <= cast(periods.evaluated_at as date)
        and (units.valid_to is null or units.valid_to >= periods.period_start)

),

pairs as (

    select
        ancestors.period_type,
        ancestors.period_start,
        closure.ancestor_unit_id,
        closure.descendant_unit_id,
        closure.depth,
        descendants.unit_type as descendant_unit_type

    from closure
    inner join units_in_force as ancestors
        on ancestors.unit_id = closure.ancestor_unit_id
    inner join units_in_force as descendants
        on descendants.unit_id = closure.descendant_unit_id
        and descendants.period_type = ancestors.period_type
        and descendants.period_start = ancestors.period_start

),

{#- A unit strictly between the two that is not in force, or is itself a block top, cuts the chain. -#}
broken_pairs as (

    select distinct
        pairs.period_type,
        pairs.period_start,
        pairs.ancestor_unit_id,
        pairs.descendant_unit_id

    from pairs
    inner join closure as upper_leg
        on upper_leg.ancestor_unit_id = pairs.ancestor_unit_id
        and upper_leg.depth > 0
        and upper_leg.depth < pairs.depth
    inner join closure as lower_leg
        on lower_leg.ancestor_unit_id = upper_leg.descendant_unit_id
        and lower_leg.descendant_unit_id = pairs.descendant_unit_id
    left join units_in_force as middle
        on middle.unit_id = upper_leg.descendant_unit_id
        and middle.period_type = pairs.period_type
        and middle.period_start = pairs.period_start
    left join units as middle_unit
        on middle_unit.unit_id = upper_leg.descendant_unit_id
    where middle.unit_id is null
        or lower(middle_unit.unit_type) in ('province', 'ministry')

),

final as (

    select
        pairs.period_type,
        pairs.period_start,
        pairs.ancestor_unit_id,
        pairs.descendant_unit_id,
        pairs.depth

    from pairs
    left join broken_pairs
        on broken_pairs.period_type = pairs.period_type
        and broken_pairs.period_start = pairs.period_start
        and broken_pairs.ancestor_unit_id = pairs.ancestor_unit_id
        and broken_pairs.descendant_unit_id = pairs.descendant_unit_id
    where broken_pairs.ancestor_unit_id is null
        and not (pairs.depth > 0 and lower(pairs.descendant_unit_type) in ('province', 'ministry'))

)

select * from final
