{#- One row per entry of the parent's list, numbered from 1 in the order the portal sent them. -#}

with

dossiers as (

    select * from {{ ref('base_portal__dossiers') }}
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

),

numbered_entries as (

    select
        dossiers.period,
        dossiers.extracted_at,
        dossiers.dossier_id,
        unnest(
            list_transform(dossiers.database_links, lambda entry, position: {'entry': entry, 'position': position})
        ) as numbered

    from dossiers

),

final as (

    select
        period,
        extracted_at,
        dossier_id,
        cast(numbered.position as integer) as database_link_sequence,
        numbered.entry.database_code as database_code

    from numbered_entries

)

select * from final
