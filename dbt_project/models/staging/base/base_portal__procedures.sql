{#- Procedures (one row per procedure and unit): parsed and checked. The quarantine rule is macros/quarantine.sql. -#}

with

source as (

    select *
    from {{ portal_records('procedures', [
        'MaTTHC', 'TenTTHC', 'MaLinhVuc', 'TenLinhVuc', 'CapThucHien', 'CoQuanCongBo', 'MaDinhDanh', 'MucDoDVC',
        'CoPhiLePhi', 'TichHopThanhToan', 'KetQuaBanGiay', 'DoiTuongThucHien', 'ThoiHanGiaiQuyet',
        'TrangThaiCongKhai', 'DayDuNoiDung'
    ]) }}

),

enum_maps as (

    {{ enum_maps(['implementation_level', 'procedure_applicant_type', 'online_service_level', 'procedure_publication_status']) }}

),

parsed as (

    select
        source.*,
        {{ portal_text('"MaTTHC"') }} as procedure_id,
        {{ portal_text('"MaDinhDanh"') }} as unit_id,
        {{ portal_text('"TenTTHC"') }} as procedure_name,
        {{ portal_text('"MaLinhVuc"') }} as field_code,
        {{ portal_text('"TenLinhVuc"') }} as field_name,
        {{ decode_enum_list('implementation_level', portal_json_scalar_list('"CapThucHien"')) }} as implementation_levels,
        {{ portal_text('"CoQuanCongBo"') }} as publishing_unit_id,
        {{ decode_enum('online_service_level', '"MucDoDVC"') }} as online_service_level,
        {{ portal_flag('"CoPhiLePhi"') }} as has_fee,
        {{ portal_flag('"TichHopThanhToan"') }} as has_integrated_payment,
        {{ portal_flag('"KetQuaBanGiay"') }} as has_paper_result,
        {{ decode_enum_list('procedure_applicant_type', portal_json_scalar_list('"DoiTuongThucHien"')) }} as applicant_types,
        {{ portal_number('"ThoiHanGiaiQuyet"', 'decimal(9, 2)') }} as time_limit_working_days,
        {{ decode_enum('procedure_publication_status', '"TrangThaiCongKhai"') }} as publication_status,
        {{ portal_flag('"DayDuNoiDung"') }} as has_complete_public_content

    from source
    cross join enum_maps

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('MaTTHC', 'procedure_id'),
            quarantine_missing_key('MaDinhDanh', 'unit_id'),
            quarantine_issue('duplicate_record', 'MaTTHC|MaDinhDanh', duplicate_rank(['procedure_id', 'unit_id']) ~ ' > 1', "procedure_id || '|' || unit_id"),
            quarantine_issue('unparseable_json', 'CapThucHien', is_bad_json_list('"CapThucHien"'), '"CapThucHien"'),
            quarantine_issue('invalid_enum', 'CapThucHien', 'list_contains(list_transform(implementation_levels, lambda level: level is null), true)', '"CapThucHien"'),
            quarantine_unparsed('invalid_enum', 'MucDoDVC', 'online_service_level'),
            quarantine_unparsed('invalid_enum', 'CoPhiLePhi', 'has_fee'),
            quarantine_unparsed('invalid_enum', 'TichHopThanhToan', 'has_integrated_payment'),
            quarantine_unparsed('invalid_enum', 'KetQuaBanGiay', 'has_paper_result'),
            quarantine_issue('unparseable_json', 'DoiTuongThucHien', is_bad_json_list('"DoiTuongThucHien"'), '"DoiTuongThucHien"'),
            quarantine_issue('invalid_enum', 'DoiTuongThucHien', 'list_contains(list_transform(applicant_types, lambda applicant_type: applicant_type is null), true)', '"DoiTuongThucHien"'),
            quarantine_unparsed('unparseable_number', 'ThoiHanGiaiQuyet', 'time_limit_working_days'),
            quarantine_unparsed('invalid_enum', 'TrangThaiCongKhai', 'publication_status'),
            quarantine_unparsed('invalid_enum', 'DayDuNoiDung', 'has_complete_public_content'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'procedures' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, concat_ws('|', procedure_id, unit_id)) as record_key,
        procedure_id,
        unit_id,
        procedure_name,
        field_code,
        field_name,
        implementation_levels,
        publishing_unit_id,
        online_service_level,
        has_fee,
        has_integrated_payment,
        has_paper_result,
        applicant_types,
        time_limit_working_days,
        publication_status,
        has_complete_public_content,
        quarantine_issues

    from checked

)

select * from final
