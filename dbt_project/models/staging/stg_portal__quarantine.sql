{#-
    Every malformed record of every dataset, one row per issue, with its reason code (macros/quarantine.sql).
    Carries keys and the offending raw text only: never a personal field.
-#}

with

issues as (

    {%- for dataset in ['units', 'procedures', 'publication_decisions', 'dossiers', 'petitions', 'ratings', 'report_counts'] %}
    select
        dataset,
        period,
        extracted_at,
        record_key,
        quarantine_issues
    from {{ ref('base_portal__' ~ dataset) }}
    where len(quarantine_issues) > 0
        and {{ period_window_filter('period') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

unnested as (

    select
        dataset,
        period,
        extracted_at,
        record_key,
        unnest(quarantine_issues, recursive := true)

    from issues

),

final as (

    select
        dataset,
        period,
        extracted_at,
        record_key,
        reason,
        field,
        raw_value,
        {{ dbt.current_timestamp() }} as detected_at

    from unnested

)

select * from final
