{#-
    Every unit the published evaluation lists, per extraction month (`period`), matched to the units feed of that
    month: by the unit's evaluation id (IdDanhGia = departmentId) where the feed knows it (in any month), otherwise by
    normalised name among the feed's units without an id under the same root (flagged 'name'; the listing's own
    month first, else the latest month that has it). A unit the feed does not know at all keeps
    what the portal published under a stable id derived from its departmentId (`EV.` || departmentId), with the
    name, type and parent the evaluation gives it (unit_match 'evaluation_only'): nothing the portal published is
    dropped. A unit's parent is the root whose drill-down lists it as a subordinate unit; the nation's
    provinces and ministries have none. A unit published without a departmentId is known by its root and name
    (unit_key, `EV.<root departmentId>/<name>` when the feed does not know it either).
-#}

with

published as (

    select
        period,
        period_type,
        {{ evaluation_unit_key() }} as unit_key,
        department_id,
        department_name,
        department_type,
        root_department_id,
        is_root_node
    from {{ ref('stg_portal__evaluation_inputs') }}
    where department_type is distinct from 'nation'

),

{#- One row per extraction month and unit: what its month's listing says first (a quarter or year listing may
    still name a unit that was merged away during the period). -#}
listed as (

    select
        period,
        unit_key,
        any_value(department_id) as department_id,
        bool_or(period_type = 'month') as is_listed_in_month,
        arg_min(department_name, period_type <> 'month') as department_name,
        coalesce(arg_min(department_type, period_type <> 'month'), 'unknown') as unit_type,
        arg_min(root_department_id, (period_type <> 'month', root_department_id))
            filter (where not is_root_node) as parent_department_id
    from published
    group by period, unit_key

),

units as (

    select
        period,
        unit_id,
        unit_name,
        parent_unit_id,
        evaluation_department_id
    from {{ ref('stg_portal__units') }}

),

{#- By id, the unit the feed gives that departmentId in its latest period carrying it: a quarter's or a year's
    listing names units of other months (after a merger, the new ones) that a later month's feed knows. -#}
units_by_department as (

    select evaluation_department_id, arg_max(unit_id, period) as unit_id
    from units
    where evaluation_department_id is not null
    group by evaluation_department_id

),

{#- By name, the feed's units without an evaluation id under a parent that has one, in every period: a listing
    of a quarter or a year names units of the period's other months (after the merger, the new communes). -#}
units_by_name as (

    select
        units.period,
        units.unit_id,
        parent.evaluation_department_id as parent_department_id,
        lower(trim(nfc_normalize(units.unit_name))) as name_key
    from units
    inner join units as parent
        on parent.period = units.period
        and parent.unit_id = units.parent_unit_id
    where units.evaluation_department_id is null
        and parent.evaluation_department_id is not null

),

matched as (

    select
        listed.*,
        by_id.unit_id as unit_id_by_id,
        by_name.unit_id as unit_id_by_name

    from listed
    left join units_by_department as by_id
        on by_id.evaluation_department_id = listed.department_id
    left join units_by_name as by_name
        on by_id.unit_id is null
        and by_name.parent_department_id = listed.parent_department_id
        and by_name.name_key = lower(trim(nfc_normalize(listed.department_name)))
    {#- the feed's unit of the listing's own month first, else of the latest month that has it; two feed units
        with the same name under one root: the first by id, so the match is deterministic #}
    qualify row_number() over (
        partition by listed.period, listed.unit_key
        order by by_name.period = listed.period desc, by_name.period desc, by_name.unit_id
    ) = 1

),

identified as (

    select
        period,
        unit_key,
        department_id,
        department_name,
        unit_type,
        parent_department_id,
        is_listed_in_month,
        coalesce(unit_id_by_id, unit_id_by_name, 'EV.' || unit_key) as unit_id,
        case
            when unit_id_by_id is not null then 'department_id'
            when unit_id_by_name is not null then 'name'
            else 'evaluation_only'
        end as unit_match
    from matched

),

final as (

    select
        identified.period,
        identified.unit_key,
        identified.department_id,
        identified.unit_id,
        identified.unit_match,
        identified.department_name,
        identified.unit_type,
        identified.parent_department_id,
        parent.unit_id as parent_unit_id,
        identified.is_listed_in_month

    from identified
    left join identified as parent
        on parent.period = identified.period
        and parent.unit_key = identified.parent_department_id

)

select * from final
