{#- Publication decisions and their procedures: parsed and checked. The quarantine rule is macros/quarantine.sql. -#}

with

source as (

    select *
    from {{ portal_records('publication_decisions', [
        'SoQuyetDinh', 'NgayQuyetDinh', 'CoQuanBanHanh', 'LoaiCongBo', 'DanhSachTTHC'
    ]) }}

),

enum_maps as (

    {{ enum_maps(['publication_type']) }}

),

parsed as (

    select
        source.*,
        {{ portal_text('"SoQuyetDinh"') }} as publication_decision_id,
        {{ portal_date('"NgayQuyetDinh"') }} as decision_date,
        {{ portal_text('"CoQuanBanHanh"') }} as issuing_unit_id,
        {{ decode_enum('publication_type', '"LoaiCongBo"') }} as publication_type,
        list_transform(
            {{ portal_json_list('"DanhSachTTHC"', ['MaTTHC', 'NgayHieuLucVanBan', 'NgayCongKhai']) }},
            lambda item: {
                'procedure_id': {{ portal_text('item.MaTTHC') }},
                'legal_basis_effective_date': {{ portal_date('item.NgayHieuLucVanBan') }},
                'made_public_at': {{ portal_timestamp('item.NgayCongKhai') }},
                'raw_legal_basis_effective_date': item.NgayHieuLucVanBan,
                'raw_made_public_at': item.NgayCongKhai
            }
        ) as procedures

    from source
    cross join enum_maps

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('SoQuyetDinh', 'publication_decision_id'),
            quarantine_issue('duplicate_record', 'SoQuyetDinh', duplicate_rank(['publication_decision_id']) ~ ' > 1', 'publication_decision_id'),
            quarantine_unparsed('unparseable_date', 'NgayQuyetDinh', 'decision_date'),
            quarantine_unparsed('invalid_enum', 'LoaiCongBo', 'publication_type'),
            quarantine_issue('unparseable_json', 'DanhSachTTHC', is_bad_json_list('"DanhSachTTHC"'), '"DanhSachTTHC"'),
            quarantine_nested('missing_key', 'DanhSachTTHC.MaTTHC', 'procedures', 'item.procedure_id is null', 'procedure_id'),
            quarantine_nested('unparseable_date', 'DanhSachTTHC.NgayHieuLucVanBan', 'procedures',
                portal_text('item.raw_legal_basis_effective_date') ~ ' is not null and item.legal_basis_effective_date is null',
                'raw_legal_basis_effective_date'),
            quarantine_nested('unparseable_date', 'DanhSachTTHC.NgayCongKhai', 'procedures',
                portal_text('item.raw_made_public_at') ~ ' is not null and item.made_public_at is null',
                'raw_made_public_at'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'publication_decisions' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, publication_decision_id) as record_key,
        publication_decision_id,
        decision_date,
        issuing_unit_id,
        publication_type,
        procedures,
        quarantine_issues

    from checked

)

select * from final
