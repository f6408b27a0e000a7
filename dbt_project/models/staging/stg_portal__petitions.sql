with

petitions as (

    select * from {{ ref('base_portal__petitions') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        petition_id,
        unit_id,
        procedure_id,
        classification,
        is_within_competence,
        sent_at,
        received_at,
        last_transferred_at,
        handled_at,
        refused_at,
        status,
        like_count,
        dislike_count,
        original_petition_id,
        is_petitioner_satisfied

    from petitions
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
