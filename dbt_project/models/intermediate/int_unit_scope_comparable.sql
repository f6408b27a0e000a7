{#-
    The comparable scope: for each period P that has a next period N of the same type (the next month, quarter
    or year among int_periods), the units of N's structure over P's records. A unit S in force in N counts, in P,
    the records of every unit U in force in P whose work passes, by N, to S or to one of S's descendants
    (int_unit_record_attribution of N follows DonViKeThua from U to the unit in force in N). So a province merged
    on 1/7/2025 gets, for June 2025, the records of the provinces (and their departments, districts and communes)
    it was merged from; a ministry that absorbed another on 1/3/2025 gets, for February, both ministries' records.

    Only units whose comparable scope differs from their own scope in P get rows (a unit that did not exist in P,
    or that absorbed units between P and N): for all the others the value as published for P is already
    comparable. These rows become input_source 'records_comparable'; the value published for P (source 'records')
    is never changed by them. depth is the depth under S in N of the unit U's work passes to (0: S itself).
-#}

with

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ period_is_rebuilt_or_before() }}

),

{#- P's scope and N's: N, the period after a rebuilt one or after the one before it, is rebuilt too. -#}
scope as (

    select * from {{ ref('int_unit_scope') }}
    where {{ period_is_rebuilt_or_before() }}

),

attribution as (

    select * from {{ ref('int_unit_record_attribution') }}
    where {{ period_is_rebuilt() }}

),

next_periods as (

    select
        periods.period_type,
        periods.period_start,
        following.period_start as next_period_start

    from periods
    inner join periods as following
        on following.period_type = periods.period_type
        and following.period_start = case periods.period_type
            when 'month' then cast(periods.period_start + interval 1 month as date)
            when 'quarter' then cast(periods.period_start + interval 3 month as date)
            else cast(periods.period_start + interval 1 year as date)
        end

),

units_in_force as (

    select distinct period_type, period_start, ancestor_unit_id as unit_id
    from scope

),

{#- Every unit in force in P, with the unit in force in N its work passes to. -#}
passed_on as (

    select
        next_periods.period_type,
        next_periods.period_start,
        next_periods.next_period_start,
        units_in_force.unit_id as source_unit_id,
        attribution.unit_id as next_unit_id

    from next_periods
    inner join units_in_force
        on units_in_force.period_type = next_periods.period_type
        and units_in_force.period_start = next_periods.period_start
    inner join attribution
        on attribution.period_type = next_periods.period_type
        and attribution.period_start = next_periods.next_period_start
        and attribution.source_unit_id = units_in_force.unit_id

),

comparable_pairs as (

    select
        passed_on.period_type,
        passed_on.period_start,
        next_scope.ancestor_unit_id,
        passed_on.source_unit_id as descendant_unit_id,
        next_scope.depth

    from passed_on
    inner join scope as next_scope
        on next_scope.period_type = passed_on.period_type
        and next_scope.period_start = passed_on.next_period_start
        and next_scope.descendant_unit_id = passed_on.next_unit_id

),

{#- Ancestors whose comparable scope in P is not exactly their own scope in P. -#}
changed_ancestors as (

    select distinct
        coalesce(comparable_pairs.period_type, own.period_type) as period_type,
        coalesce(comparable_pairs.period_start, own.period_start) as period_start,
        coalesce(comparable_pairs.ancestor_unit_id, own.ancestor_unit_id) as ancestor_unit_id

    from comparable_pairs
    full outer join (
        {#- the own scope in P of the units that have a comparable scope (those that exist in N) #}
        select scope.*
        from scope
        semi join comparable_pairs as c
            on c.period_type = scope.period_type
            and c.period_start = scope.period_start
            and c.ancestor_unit_id = scope.ancestor_unit_id
    ) as own
        on own.period_type = comparable_pairs.period_type
        and own.period_start = comparable_pairs.period_start
        and own.ancestor_unit_id = comparable_pairs.ancestor_unit_id
        and own.descendant_unit_id = comparable_pairs.descendant_unit_id
    where comparable_pairs.ancestor_unit_id is null
        or own.ancestor_unit_id is null

),

final as (

    select
        comparable_pairs.period_type,
        comparable_pairs.period_start,
        comparable_pairs.ancestor_unit_id,
        comparable_pairs.descendant_unit_id,
        cast(comparable_pairs.depth as integer) as depth

    from comparable_pairs
    inner join changed_ancestors
        on changed_ancestors.period_type = comparable_pairs.period_type
        and changed_ancestors.period_start = comparable_pairs.period_start
        and changed_ancestors.ancestor_unit_id = comparable_pairs.ancestor_unit_id
    where {{ rebuilt_rows('comparable_pairs.') }}

)

select * from final
