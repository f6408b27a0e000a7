-- One row per unit: its latest known version (int_units), from the units feed or, for a unit only the published
-- evaluation knows, from the evaluation (unit_source 'evaluation_only').

with

units as (

    select * from {{ ref('int_units') }}

),

final as (

    select
        cast(unit_id as varchar) as unit_id,
        cast(unit_name as varchar) as unit_name,
        cast(unit_type as varchar) as unit_type,
        cast(parent_unit_id as varchar) as parent_unit_id,
        cast(administrative_code as varchar) as administrative_code,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(successor_unit_id as varchar) as successor_unit_id,
        cast(evaluation_department_id as varchar) as evaluation_department_id,
        cast(unit_source as varchar) as unit_source
    from units

)

select * from final
