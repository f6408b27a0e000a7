{#-
    Each unit's peer group (rule seed rule_peer_groups, active rule version): ranked nationally (ministries,
    provinces) or within its nearest ancestor of the seed's ranked_within_unit_type (a commune within its
    province, through its district before July 2025; a ministry unit within its ministry), by the latest parent
    links (int_unit_closure).
-#}

with

units as (

    select * from {{ ref('int_units') }}

),

closure as (

    select * from {{ ref('int_unit_closure') }}

),

peer_groups as (

    select * from {{ ref('rule_peer_groups') }}
    where rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)

),

grouped as (

    select
        units.unit_id,
        lower(units.unit_type) as unit_type,
        peer_groups.peer_group,
        peer_groups.ranked_within_unit_type,
        peer_groups.name_vi as peer_group_name_vi

    from units
    inner join peer_groups
        on lower(peer_groups.unit_type) = lower(units.unit_type)

),

within as (

    select
        grouped.unit_id,
        arg_min(closure.ancestor_unit_id, closure.depth) as peer_group_unit_id

    from grouped
    inner join closure
        on closure.descendant_unit_id = grouped.unit_id
        and closure.depth > 0
    inner join units as ancestor
        on ancestor.unit_id = closure.ancestor_unit_id
        and lower(ancestor.unit_type) = lower(grouped.ranked_within_unit_type)
    group by all

),

final as (

    select
        grouped.unit_id,
        grouped.unit_type,
        grouped.peer_group,
        grouped.peer_group_name_vi,
        within.peer_group_unit_id

    from grouped
    left join within
        on within.unit_id = grouped.unit_id

)

select * from final
