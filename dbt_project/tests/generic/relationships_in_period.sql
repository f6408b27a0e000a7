{#-
    Like `relationships`, but within the same period: every non-null `column_name` must exist as `field` in
    `to` among the rows of the same `period_column`. `to_condition` optionally restricts the parent rows.
-#}
{% test relationships_in_period(model, column_name, to, field, period_column='period', to_condition='true') %}

with

children as (

    select
        {{ period_column }} as period,
        {{ column_name }} as child_key
    from {{ model }}
    where {{ column_name }} is not null

),

parents as (

    select distinct
        {{ period_column }} as period,
        {{ field }} as parent_key
    from {{ to }}
    where {{ to_condition }}

)

select
    children.period,
    children.child_key,
    count(*) as orphans
from children
left join parents
    on children.period = parents.period
    and children.child_key = parents.parent_key
where parents.parent_key is null
group by children.period, children.child_key

{% endtest %}
