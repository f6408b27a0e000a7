with

dossiers as (

    select * from {{ ref('base_portal__dossiers') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        dossier_id,
        procedure_id,
        unit_id,
        channel,
        applicant_type,
        applicant_key,
        submitted_at,
        received_at,
        due_at,
        processing_ended_at,
        returned_at,
        refused_at,
        status,
        online_payment,
        is_applicant_verified_with_vneid,
        is_synced_to_national_portal,
        updated_at

    from dossiers
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
