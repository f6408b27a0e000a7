with

ratings as (

    select * from {{ ref('base_portal__ratings') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        dossier_id,
        rated_at,
        rating_result

    from ratings
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
