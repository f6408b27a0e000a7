{#-
    The dossiers without quarantine issues: a view of base_portal__dossiers, which parses, checks and summarises
    each dossier once and stores it (a second table of 15 million wide rows a month cost a national build 50-80 s
    of copying). The lists are lists of structs in the portal's order; the stg_portal__dossier_* views unnest them.
-#}

{{ config(materialized='view') }}

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
        updated_at,
        are_all_components_digitized,
        has_reused_component,
        has_personal_data_store_component,
        fee_entries,
        are_all_fees_zero,
        has_electronic_result_file,
        database_codes,
        status_history,
        supplements,
        components,
        results,
        fees,
        database_links

    from dossiers
    where len(quarantine_issues) = 0

)

select * from final
