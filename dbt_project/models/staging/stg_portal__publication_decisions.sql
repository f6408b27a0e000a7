with

publication_decisions as (

    select * from {{ ref('base_portal__publication_decisions') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        publication_decision_id,
        decision_date,
        issuing_unit_id,
        publication_type

    from publication_decisions
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
