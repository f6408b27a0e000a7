{#- Units: parsed and checked. The quarantine rule is macros/quarantine.sql. -#}

with

source as (

    select *
    from {{ portal_records('units', [
        'MaDinhDanh', 'TenDonVi', 'LoaiDonVi', 'MaDinhDanhCha', 'MaHanhChinh', 'HieuLucTu', 'HieuLucDen',
        'DonViKeThua', 'CungCapChungThucDienTu', 'IdDanhGia'
    ]) }}

),

enum_maps as (

    {{ enum_maps(['unit_type']) }}

),

parsed as (

    select
        source.*,
        {{ portal_text('"MaDinhDanh"') }} as unit_id,
        {{ portal_text('"TenDonVi"') }} as unit_name,
        {{ decode_enum('unit_type', '"LoaiDonVi"') }} as unit_type,
        {{ portal_text('"MaDinhDanhCha"') }} as parent_unit_id,
        {{ portal_text('"MaHanhChinh"') }} as administrative_code,
        {{ portal_date('"HieuLucTu"') }} as valid_from,
        {{ portal_date('"HieuLucDen"') }} as valid_to,
        {{ portal_text('"DonViKeThua"') }} as successor_unit_id,
        {{ portal_flag('"CungCapChungThucDienTu"') }} as has_electronic_certified_copy_service,
        {{ portal_text('"IdDanhGia"') }} as evaluation_department_id

    from source
    cross join enum_maps

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('MaDinhDanh', 'unit_id'),
            quarantine_issue('duplicate_record', 'MaDinhDanh', duplicate_rank(['unit_id']) ~ ' > 1', '"MaDinhDanh"'),
            quarantine_unparsed('invalid_enum', 'LoaiDonVi', 'unit_type'),
            quarantine_unparsed('unparseable_date', 'HieuLucTu', 'valid_from'),
            quarantine_unparsed('unparseable_date', 'HieuLucDen', 'valid_to'),
            quarantine_unparsed('invalid_enum', 'CungCapChungThucDienTu', 'has_electronic_certified_copy_service'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'units' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, unit_id) as record_key,
        unit_id,
        unit_name,
        unit_type,
        parent_unit_id,
        administrative_code,
        valid_from,
        valid_to,
        successor_unit_id,
        has_electronic_certified_copy_service,
        evaluation_department_id,
        quarantine_issues

    from checked

)

select * from final
