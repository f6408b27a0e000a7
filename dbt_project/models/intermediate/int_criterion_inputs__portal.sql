{#-
    The portal's own numerators, denominators and points (published evaluation) as criterion inputs, for every
    period it publishes (month, quarter and year to date), under the unit each is matched to (int_evaluation_units:
    by evaluation id, by name, or a unit of the evaluation's own, unit_match 'evaluation_only').

    A quarter or a year is published again with each of its months, to date: the extraction of its latest month
    is the one kept (a month's own figures come from its own extraction).
-#}

with

published as (

    select * from {{ ref('stg_portal__evaluation_inputs') }}
    where department_type is distinct from 'nation'
        and {{ period_is_rebuilt() }}

),

-- a unit is listed by several responses (as its root's child and as the root of its own units): same values
one_per_unit as (

    select
        period,
        period_type,
        period_start,
        {{ evaluation_unit_key() }} as unit_key,
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
        partition by
            period_type,
            period_start,
            {{ evaluation_unit_key() }},
            criterion_code
        order by period desc, published_points is null, is_root_node desc, endpoint
    ) = 1

),

units as (

    select * from {{ ref('int_evaluation_units') }}

),

final as (

    select
        units.unit_id,
        one_per_unit.period_type,
        one_per_unit.period_start,
        one_per_unit.criterion_code,
        one_per_unit.numerator,
        one_per_unit.denominator,
        'portal_published' as input_source,
        one_per_unit.published_points,
        one_per_unit.published_max_points,
        one_per_unit.department_id,
        one_per_unit.department_name,
        one_per_unit.department_type,
        one_per_unit.data_quality_status,
        coalesce(units.unit_match, 'unmatched') as unit_match

    from one_per_unit
    left join units
        on units.period = one_per_unit.period
        and units.unit_key = one_per_unit.unit_key

)

select * from final
