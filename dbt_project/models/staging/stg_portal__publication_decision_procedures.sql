{#- One row per entry of the parent's list, numbered from 1 in the order the portal sent them. -#}

with

publication_decisions as (

    select * from {{ ref('base_portal__publication_decisions') }}
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

),

numbered_entries as (

    select
        publication_decisions.period,
        publication_decisions.extracted_at,
        publication_decisions.publication_decision_id,
        unnest(
            list_transform(publication_decisions.procedures, lambda entry, position: {'entry': entry, 'position': position})
        ) as numbered

    from publication_decisions

),

final as (

    select
        period,
        extracted_at,
        publication_decision_id,
        cast(numbered.position as integer) as procedure_sequence,
        numbered.entry.procedure_id as procedure_id,
        numbered.entry.legal_basis_effective_date as legal_basis_effective_date,
        numbered.entry.made_public_at as made_public_at

    from numbered_entries

)

select * from final
