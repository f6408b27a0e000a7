with

procedures as (

    select * from {{ ref('base_portal__procedures') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        procedure_id,
        unit_id,
        procedure_name,
        field_code,
        field_name,
        implementation_levels,
        publishing_unit_id,
        online_service_level,
        has_fee,
        has_integrated_payment,
        has_paper_result,
        applicant_types,
        time_limit_working_days,
        publication_status,
        has_complete_public_content

    from procedures
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
