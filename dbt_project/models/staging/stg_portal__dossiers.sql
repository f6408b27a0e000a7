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
        ) as database_codes,
        {#- The dossier's lists themselves, in the order the portal sent them, as lists of structs: the per-dossier
            facts (int_dossier_facts) read them on this row, in the one pass over the dossiers, and the
            stg_portal__dossier_* views unnest them for analysts. Only the parsed fields; the raw text the
            quarantine checks stays in base_portal__dossiers. An empty or missing list is []. #}
        coalesce(
            list_transform(status_history, lambda e: {'status': e.status, 'changed_at': e.changed_at}), []
        ) as status_history,
        coalesce(
            list_transform(supplements, lambda e: {'requested_at': e.requested_at, 'completed_at': e.completed_at}),
            []
        ) as supplements,
        coalesce(
            list_transform(components, lambda e: {
                'component_code': e.component_code,
                'is_digitized': e.is_digitized,
                'is_reused': e.is_reused,
                'is_from_personal_data_store': e.is_from_personal_data_store
            }),
            []
        ) as components,
        coalesce(results, []) as results,
        coalesce(list_transform(fees, lambda e: {'fee_code': e.fee_code, 'amount_vnd': e.amount_vnd}), []) as fees,
        coalesce(database_links, []) as database_links

    from dossiers
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
