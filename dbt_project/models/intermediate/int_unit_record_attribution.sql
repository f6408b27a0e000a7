{#-
    For each period: the unit that a record's unit code counts for. A unit in force in the period counts its own
    records; the records of a unit that ended go to its successor (DonViKeThua), followed until a unit in force
    (at most 8 steps); records of unknown units, or whose chain never reaches a unit in force, are dropped.
-#}

with recursive

scope as (

    select * from {{ ref('int_unit_scope') }}
    where {{ rebuilt_rows() }}

),

units as (

    select * from {{ ref('int_units') }}
    -- the units feed's units: one that only the published evaluation knows has no records
    where unit_source = 'units_feed'

),

periods as (

    select distinct period_type, period_start from scope

),

units_in_force as (

    select distinct period_type, period_start, ancestor_unit_id as unit_id
    from scope

),

successor_chain as (

    select
        periods.period_type,
        periods.period_start,
        units.unit_id as source_unit_id,
        units.unit_id as current_unit_id,
        0 as hops

    from periods
    cross join units

    union all

    select
        successor_chain.period_type,
        successor_chain.period_start,
        successor_chain.source_unit_id,
        units.successor_unit_id as current_unit_id,
        successor_chain.hops + 1 as hops

    from successor_chain
    inner join units
        on units.unit_id = successor_chain.current_unit_id
    where successor_chain.hops < 8
        and units.successor_unit_id is not null

),

final as (

    select
        successor_chain.period_type,
        successor_chain.period_start,
        successor_chain.source_unit_id,
        arg_min(successor_chain.current_unit_id, successor_chain.hops) as unit_id

    from successor_chain
    inner join units_in_force
        on units_in_force.period_type = successor_chain.period_type
        and units_in_force.period_start = successor_chain.period_start
        and units_in_force.unit_id = successor_chain.current_unit_id
    group by all

)

select * from final
