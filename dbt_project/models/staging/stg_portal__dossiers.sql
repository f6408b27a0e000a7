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
        {#- Summaries of the dossier's lists (whose entries are the rows of the stg_portal__dossier_* models), so
            that the dossier facts read one row per dossier instead of aggregating four child tables. An empty
            or missing list gives the value an aggregate over no rows is coalesced to there. #}
        coalesce(list_bool_and(list_transform(components, lambda c: coalesce(c.is_digitized, false))), true)
            as are_all_components_digitized,
        coalesce(list_bool_or(list_transform(components, lambda c: coalesce(c.is_reused, false))), false)
            as has_reused_component,
        coalesce(
            list_bool_or(list_transform(components, lambda c: coalesce(c.is_from_personal_data_store, false))),
            false
        ) as has_personal_data_store_component,
        cast(coalesce(len(fees), 0) as integer) as fee_entries,
        coalesce(list_bool_and(list_transform(fees, lambda f: coalesce(f.amount_vnd, 0) = 0)), true)
            as are_all_fees_zero,
        coalesce(list_bool_or(list_transform(results, lambda r: coalesce(r.result_file_url, '') <> '')), false)
            as has_electronic_result_file,
        coalesce(
            list_filter(list_transform(database_links, lambda d: d.database_code), lambda code: code is not null),
            []
        ) as database_codes

    from dossiers
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
