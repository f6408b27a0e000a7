with

units as (

    select * from {{ ref('base_portal__units') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        unit_id,
        unit_name,
        unit_type,
        parent_unit_id,
        administrative_code,
        valid_from,
        valid_to,
        successor_unit_id,
        has_electronic_certified_copy_service,
        evaluation_department_id

    from units
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
