{#-
    Dossiers: parsed and checked, with their nested lists parsed into lists of structs (the raw text beside each
    parsed field only while the checks read it) and the summaries of the lists the dossier facts count. Stored
    once: stg_portal__dossiers is a view of its rows without issues, stg_portal__quarantine lists the others.
    The quarantine rule is macros/quarantine.sql. Of the applicant's personal fields only the ID number is
    read, and only to compute applicant_key; the name, phone and address are never read.
-#}

with

{# Read twice (the copies, the parsing): `not materialized` makes DuckDB scan the Parquet twice, the copies' scan
    reading the key columns only, instead of storing every raw row first. Stored, a national month's raw rows
    (about 15 GB) spilled 28 GB to disk before the parsing began; medium: 0.8 GB spilled, 82 s, now none and 70 s. #}
source as not materialized (

    select *
    from {{ portal_records('dossiers', [
        'MaHoSo', 'MaTTHC', 'MaDonViXuLy', 'KenhThucHien', 'LoaiDoiTuong', 'SoGiayToChuHoSo',
        'NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra', 'NgayTuChoi',
        'TrangThaiHoSo', 'QuaTrinhXuLy', 'DanhSachHoSoBoSung', 'TaiLieuNop', 'DanhSachGiayToKetQua',
        'DanhSachLePhi', 'DuocThanhToanTrucTuyen', 'TaiKhoanDuocXacThucVoiVNeID', 'DSKetNoiCSDL', 'DongBoDVCQG',
        'NgayCapNhat'
    ]) }}

),

{#- The enums decoded here, as maps code -> name (seed portal_enums): see decode_enum(). -#}
enum_maps as (

    {{ enum_maps(['dossier_status', 'dossier_channel', 'dossier_applicant_type', 'online_payment']) }}

),

{#- Later copies of a dossier in the same extraction (duplicate_record), from the key column alone. -#}
copies as (

    select * from {{ record_copies('source', [portal_text('"MaHoSo"')]) }}

),

{#- Procedures known in each period (its catalogue and the lookback's): see macros/known_procedures.sql. -#}
procedure_catalogue as (

    select * from {{ known_procedures() }}

),

parsed as (

    select
        source.* exclude ("SoGiayToChuHoSo"),
        {{ portal_text('source."MaHoSo"') }} as dossier_id,
        {{ portal_text('source."MaTTHC"') }} as procedure_id,
        procedure_catalogue.procedure_id is not null as is_known_procedure,
        copies.copy_number,
        {{ portal_text('source."MaDonViXuLy"') }} as unit_id,
        {{ decode_enum('dossier_channel', 'source."KenhThucHien"') }} as channel,
        {{ decode_enum('dossier_applicant_type', 'source."LoaiDoiTuong"') }} as applicant_type,
        {{ pseudonymise('source."SoGiayToChuHoSo"') }} as applicant_key,
        {{ portal_timestamp('source."NgayNopHoSo"') }} as submitted_at,
        {{ portal_timestamp('source."NgayTiepNhan"') }} as received_at,
        {{ portal_timestamp('source."NgayHenTra"', date_only_at='23:59:59') }} as due_at,
        {{ portal_timestamp('source."NgayKetThucXuLy"') }} as processing_ended_at,
        {{ portal_timestamp('source."NgayTra"') }} as returned_at,
        {{ portal_timestamp('source."NgayTuChoi"') }} as refused_at,
        {{ decode_enum('dossier_status', 'source."TrangThaiHoSo"') }} as status,
        {{ decode_enum('online_payment', 'source."DuocThanhToanTrucTuyen"') }} as online_payment,
        {{ portal_flag('source."TaiKhoanDuocXacThucVoiVNeID"') }} as is_applicant_verified_with_vneid,
        {{ portal_flag('source."DongBoDVCQG"') }} as is_synced_to_national_portal,
        {{ portal_timestamp('source."NgayCapNhat"') }} as updated_at,
        list_transform(
            {{ portal_json_list('source."QuaTrinhXuLy"', ['TrangThai', 'ThoiDiem']) }},
            lambda item: {
                'status': dossier_status_map[trim(item.TrangThai)],
                'changed_at': {{ portal_timestamp('item.ThoiDiem') }},
                'raw_status': item.TrangThai,
                'raw_changed_at': item.ThoiDiem
            }
        ) as status_history,
        list_transform(
            {{ portal_json_list('source."DanhSachHoSoBoSung"', ['NgayYeuCau', 'NgayHoanThanh']) }},
            lambda item: {
                'requested_at': {{ portal_timestamp('item.NgayYeuCau') }},
                'completed_at': {{ portal_timestamp('item.NgayHoanThanh') }},
                'raw_requested_at': item.NgayYeuCau,
                'raw_completed_at': item.NgayHoanThanh
            }
        ) as supplements,
        list_transform(
            {{ portal_json_list('source."TaiLieuNop"', ['MaThanhPhanHoSo', 'DuocSoHoa', 'DuocTaiSuDung', 'DuocLayTuKhoDMQG']) }},
            lambda item: {
                'component_code': {{ portal_text('item.MaThanhPhanHoSo') }},
                'is_digitized': {{ portal_flag('item.DuocSoHoa') }},
                'is_reused': {{ portal_flag('item.DuocTaiSuDung') }},
                'is_from_personal_data_store': {{ portal_flag('item.DuocLayTuKhoDMQG') }},
                'raw_is_digitized': item.DuocSoHoa,
                'raw_is_reused': item.DuocTaiSuDung,
                'raw_is_from_personal_data_store': item.DuocLayTuKhoDMQG
            }
        ) as components,
        list_transform(
            {{ portal_json_list('source."DanhSachGiayToKetQua"', ['MaGiayToKetQua', 'DuongDanTepTinKetQua']) }},
            lambda item: {
                'result_document_code': {{ portal_text('item.MaGiayToKetQua') }},
                'result_file_url': {{ portal_text('item.DuongDanTepTinKetQua') }}
            }
        ) as results,
        list_transform(
            {{ portal_json_list('source."DanhSachLePhi"', ['MaPhiLePhi', 'Gia']) }},
            lambda item: {
                'fee_code': {{ portal_text('item.MaPhiLePhi') }},
                'amount_vnd': {{ portal_number('item.Gia') }},
                'raw_amount': item.Gia
            }
        ) as fees,
        list_transform(
            {{ portal_json_list('source."DSKetNoiCSDL"', ['MaCSDL']) }},
            lambda item: {
                'database_code': {{ portal_text('item.MaCSDL') }}
            }
        ) as database_links

    from source
    cross join enum_maps
    left join procedure_catalogue
        on source.period = procedure_catalogue.period
        and {{ portal_text('source."MaTTHC"') }} = procedure_catalogue.procedure_id
    left join copies
        on source.period = copies.period
        and source.extracted_at = copies.extracted_at
        and source._page = copies._page
        and source._row = copies._row

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('MaHoSo', 'dossier_id'),
            quarantine_issue('duplicate_record', 'MaHoSo', 'copy_number > 1', 'dossier_id'),
            quarantine_issue('unknown_procedure', 'MaTTHC', 'not is_known_procedure', '"MaTTHC"'),
            quarantine_unparsed('invalid_enum', 'KenhThucHien', 'channel'),
            quarantine_unparsed('invalid_enum', 'LoaiDoiTuong', 'applicant_type'),
            quarantine_unparsed('unparseable_date', 'NgayNopHoSo', 'submitted_at'),
            quarantine_unparsed('unparseable_date', 'NgayTiepNhan', 'received_at'),
            quarantine_unparsed('unparseable_date', 'NgayHenTra', 'due_at'),
            quarantine_unparsed('unparseable_date', 'NgayKetThucXuLy', 'processing_ended_at'),
            quarantine_unparsed('unparseable_date', 'NgayTra', 'returned_at'),
            quarantine_unparsed('unparseable_date', 'NgayTuChoi', 'refused_at'),
            quarantine_unparsed('invalid_enum', 'TrangThaiHoSo', 'status'),
            quarantine_unparsed('invalid_enum', 'DuocThanhToanTrucTuyen', 'online_payment'),
            quarantine_unparsed('invalid_enum', 'TaiKhoanDuocXacThucVoiVNeID', 'is_applicant_verified_with_vneid'),
            quarantine_unparsed('invalid_enum', 'DongBoDVCQG', 'is_synced_to_national_portal'),
            quarantine_unparsed('unparseable_date', 'NgayCapNhat', 'updated_at'),
            quarantine_issue('unparseable_json', 'QuaTrinhXuLy', is_bad_json_list('"QuaTrinhXuLy"'), '"QuaTrinhXuLy"'),
            quarantine_nested('invalid_enum', 'QuaTrinhXuLy.TrangThai', 'status_history',
                portal_text('item.raw_status') ~ ' is not null and item.status is null', 'raw_status'),
            quarantine_nested('unparseable_date', 'QuaTrinhXuLy.ThoiDiem', 'status_history',
                portal_text('item.raw_changed_at') ~ ' is not null and item.changed_at is null', 'raw_changed_at'),
            quarantine_issue('unparseable_json', 'DanhSachHoSoBoSung', is_bad_json_list('"DanhSachHoSoBoSung"'), '"DanhSachHoSoBoSung"'),
            quarantine_nested('unparseable_date', 'DanhSachHoSoBoSung.NgayYeuCau', 'supplements',
                portal_text('item.raw_requested_at') ~ ' is not null and item.requested_at is null', 'raw_requested_at'),
            quarantine_nested('unparseable_date', 'DanhSachHoSoBoSung.NgayHoanThanh', 'supplements',
                portal_text('item.raw_completed_at') ~ ' is not null and item.completed_at is null', 'raw_completed_at'),
            quarantine_issue('unparseable_json', 'TaiLieuNop', is_bad_json_list('"TaiLieuNop"'), '"TaiLieuNop"'),
            quarantine_nested('invalid_enum', 'TaiLieuNop.DuocSoHoa', 'components',
                portal_text('item.raw_is_digitized') ~ ' is not null and item.is_digitized is null', 'raw_is_digitized'),
            quarantine_nested('invalid_enum', 'TaiLieuNop.DuocTaiSuDung', 'components',
                portal_text('item.raw_is_reused') ~ ' is not null and item.is_reused is null', 'raw_is_reused'),
            quarantine_nested('invalid_enum', 'TaiLieuNop.DuocLayTuKhoDMQG', 'components',
                portal_text('item.raw_is_from_personal_data_store') ~ ' is not null and item.is_from_personal_data_store is null',
                'raw_is_from_personal_data_store'),
            quarantine_issue('unparseable_json', 'DanhSachGiayToKetQua', is_bad_json_list('"DanhSachGiayToKetQua"'), 'null'),
            quarantine_issue('unparseable_json', 'DanhSachLePhi', is_bad_json_list('"DanhSachLePhi"'), '"DanhSachLePhi"'),
            quarantine_nested('unparseable_number', 'DanhSachLePhi.Gia', 'fees',
                portal_text('item.raw_amount') ~ ' is not null and item.amount_vnd is null', 'raw_amount'),
            quarantine_nested('negative_fee', 'DanhSachLePhi.Gia', 'fees', 'item.amount_vnd < 0', 'raw_amount'),
            quarantine_issue('unparseable_json', 'DSKetNoiCSDL', is_bad_json_list('"DSKetNoiCSDL"'), '"DSKetNoiCSDL"'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'dossiers' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, dossier_id) as record_key,
        dossier_id,
        procedure_id,
        unit_id,
        channel,
        applicant_type,
        applicant_key,
        submitted_at,
        received_at,
        due_at,
        processing_ended_at,
        returned_at,
        refused_at,
        status,
        online_payment,
        is_applicant_verified_with_vneid,
        is_synced_to_national_portal,
        updated_at,
        {#- Summaries of the dossier's lists (whose entries are the rows of the stg_portal__dossier_* views), so
            that the dossier facts read one row per dossier instead of aggregating four child tables. An empty
            or missing list gives the value an aggregate over no rows is coalesced to there. #}
        coalesce(list_bool_and(list_transform(components, lambda c: coalesce(c.is_digitized, false))), true)
            as are_all_components_digitized,
        coalesce(list_bool_or(list_transform(components, lambda c: coalesce(c.is_reused, false))), false)
            as has_reused_component,
        coalesce(
            list_bool_or(list_transform(components, lambda c: coalesce(c.is_from_personal_data_store, false))),
            false
        ) as has_personal_data_store_component,
        cast(coalesce(len(fees), 0) as integer) as fee_entries,
        coalesce(list_bool_and(list_transform(fees, lambda f: coalesce(f.amount_vnd, 0) = 0)), true)
            as are_all_fees_zero,
        coalesce(list_bool_or(list_transform(results, lambda r: coalesce(r.result_file_url, '') <> '')), false)
            as has_electronic_result_file,
        coalesce(
            list_filter(list_transform(database_links, lambda d: d.database_code), lambda code: code is not null),
            []
        ) as database_codes,
        {#- The dossier's lists themselves, in the order the portal sent them, as lists of structs: the per-dossier
            facts (int_dossier_facts) read them on this row, in the one pass over the dossiers, and the
            stg_portal__dossier_* views unnest them for analysts. Only the parsed fields: the raw text beside
            them was for the checks above, whose issues keep the offending text. An empty or missing list is []. #}
        coalesce(
            list_transform(status_history, lambda e: {'status': e.status, 'changed_at': e.changed_at}), []
        ) as status_history,
        coalesce(
            list_transform(supplements, lambda e: {'requested_at': e.requested_at, 'completed_at': e.completed_at}),
            []
        ) as supplements,
        coalesce(
            list_transform(components, lambda e: {
                'component_code': e.component_code,
                'is_digitized': e.is_digitized,
                'is_reused': e.is_reused,
                'is_from_personal_data_store': e.is_from_personal_data_store
            }),
            []
        ) as components,
        coalesce(results, []) as results,
        coalesce(list_transform(fees, lambda e: {'fee_code': e.fee_code, 'amount_vnd': e.amount_vnd}), []) as fees,
        coalesce(database_links, []) as database_links,
        quarantine_issues

    from checked

)

select * from final
