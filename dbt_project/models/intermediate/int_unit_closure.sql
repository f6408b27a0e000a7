-- Ancestor × descendant pairs of the unit tree (latest parent links of int_units), the unit itself at depth 0.
-- A parent missing from the catalogue ends the chain; the depth cap stops a (bad) cyclic link, which the
-- uniqueness test then reports.

with recursive

units as (

    select
        unit_id,
        parent_unit_id
    from {{ ref('int_units') }}

),

closure as (

    select
        unit_id as ancestor_unit_id,
        unit_id as descendant_unit_id,
        0 as depth
    from units

    union all

    select
        parent.unit_id as ancestor_unit_id,
        closure.descendant_unit_id,
        closure.depth + 1 as depth
    from closure
    inner join units as child
        on child.unit_id = closure.ancestor_unit_id
    inner join units as parent
        on parent.unit_id = child.parent_unit_id
    where closure.depth < 12

),

final as (

    select
        ancestor_unit_id,
        descendant_unit_id,
        cast(depth as integer) as depth
    from closure

)

select * from final
