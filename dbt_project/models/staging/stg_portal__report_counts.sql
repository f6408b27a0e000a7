with

report_counts as (

    select * from {{ ref('base_portal__report_counts') }}

),

final as (

    select
        period,
        extracted_at,
        record_key,
        unit_id,
        report_month_start,
        received_dossier_count

    from report_counts
    where len(quarantine_issues) = 0
        and {{ period_window_filter('period') }}

)

select * from final
