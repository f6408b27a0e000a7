{#-
    The portal's own numerators, denominators and points (published evaluation) as criterion inputs, matched to
    our units: by the unit's evaluation id (IdDanhGia = departmentId) where we know it, otherwise by normalised
    name among the children of the same root (flagged). Units the portal publishes that we cannot match are kept,
    with a null unit_id and unit_match = 'unmatched', so reconciliation can list them.
-#}

with

published as (

    select * from {{ ref('stg_portal__evaluation_inputs') }}
    where department_type is distinct from 'nation'
        and {{ period_is_rebuilt("'month'", "cast(period || '-01' as date)") }}

),

-- a unit is listed by several responses (as its root's child and as the root of its own units): same values
one_per_unit as (

    select
        period,
        department_id,
        department_name,
        department_type,
        root_department_id,
        criterion_code,
        numerator,
        denominator,
        published_points,
        published_max_points,
        data_quality_status

    from published
    qualify row_number() over (
        partition by period, coalesce(department_id, root_department_id || '/' || department_name), criterion_code
        order by published_points is null, is_root_node desc, endpoint
    ) = 1

),

units as (

    select
        period,
        unit_id,
        unit_name,
        parent_unit_id,
        evaluation_department_id

    from {{ ref('stg_portal__units') }}
    where {{ period_is_rebuilt("'month'", "cast(period || '-01' as date)") }}

),

matched_by_id as (

    select
        one_per_unit.*,
        units.unit_id as unit_id_by_id

    from one_per_unit
    left join units
        on units.period = one_per_unit.period
        and units.evaluation_department_id = one_per_unit.department_id

),

matched as (

    select
        matched_by_id.*,
        by_name.unit_id as unit_id_by_name

    from matched_by_id
    left join units as root_unit
        on root_unit.period = matched_by_id.period
        and root_unit.evaluation_department_id = matched_by_id.root_department_id
    left join units as by_name
        on matched_by_id.unit_id_by_id is null
        and by_name.period = matched_by_id.period
        and by_name.parent_unit_id = root_unit.unit_id
        and by_name.evaluation_department_id is null
        and lower(trim(nfc_normalize(by_name.unit_name))) = lower(trim(nfc_normalize(matched_by_id.department_name)))

),

final as (

    select
        coalesce(unit_id_by_id, unit_id_by_name) as unit_id,
        'month' as period_type,
        cast(period || '-01' as date) as period_start,
        criterion_code,
        numerator,
        denominator,
        'portal_published' as input_source,
        published_points,
        published_max_points,
        department_id,
        department_name,
        department_type,
        data_quality_status,
        case
            when unit_id_by_id is not null then 'department_id'
            when unit_id_by_name is not null then 'name'
            else 'unmatched'
        end as unit_match

    from matched

)

select * from final
