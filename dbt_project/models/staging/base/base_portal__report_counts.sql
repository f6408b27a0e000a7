{#- Report counts: parsed and checked. The quarantine rule is macros/quarantine.sql. -#}

with

source as (

    select *
    from {{ portal_records('report_counts', ['MaDinhDanh', 'Ky', 'SoHoSoTiepNhan']) }}

),

parsed as (

    select
        *,
        {{ portal_text('"MaDinhDanh"') }} as unit_id,
        {{ portal_text('"Ky"') }} as report_period,
        {{ portal_month('"Ky"') }} as report_month_start,
        {{ portal_number('"SoHoSoTiepNhan"', 'bigint') }} as received_dossier_count

    from source

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('MaDinhDanh', 'unit_id'),
            quarantine_missing_key('Ky', 'report_period'),
            quarantine_issue('duplicate_record', 'MaDinhDanh|Ky', duplicate_rank(['unit_id', 'report_period']) ~ ' > 1', "unit_id || '|' || report_period"),
            quarantine_unparsed('unparseable_date', 'Ky', 'report_month_start'),
            quarantine_unparsed('unparseable_number', 'SoHoSoTiepNhan', 'received_dossier_count'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'report_counts' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, concat_ws('|', unit_id, report_period)) as record_key,
        unit_id,
        report_month_start,
        received_dossier_count,
        quarantine_issues

    from checked

)

select * from final
