-- The latest known version of every unit: the row of the last period in which the units feed carried it.

with

units as (

    select * from {{ ref('stg_portal__units') }}

),

ranked as (

    select
        *,
        min(period) over (partition by unit_id) as first_period,
        max(period) over (partition by unit_id) as last_period,
        row_number() over (partition by unit_id order by period desc, extracted_at desc) as version_rank
    from units

),

final as (

    select
        unit_id,
        unit_name,
        unit_type,
        parent_unit_id,
        administrative_code,
        valid_from,
        valid_to,
        successor_unit_id,
        has_electronic_certified_copy_service,
        evaluation_department_id,
        first_period,
        last_period

    from ranked
    where version_rank = 1

)

select * from final
