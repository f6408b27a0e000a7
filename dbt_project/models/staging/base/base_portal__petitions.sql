{#- Petitions: parsed and checked. The quarantine rule is macros/quarantine.sql. -#}

with

source as (

    select *
    from {{ portal_records('petitions', [
        'MaPAKN', 'MaDonViXuLy', 'MaTTHC', 'PhanLoai', 'ThuocThamQuyen', 'NgayGui', 'NgayTiepNhan',
        'NgayChuyenGanNhat', 'NgayXuLy', 'NgayTuChoi', 'TrangThai', 'SoLuotThich', 'SoLuotKhongThich',
        'MaPAKNGoc', 'HaiLong'
    ]) }}

),

enum_maps as (

    {{ enum_maps(['petition_classification', 'petition_status']) }}

),

{#- Procedures known in each period (its catalogue and the lookback's): see macros/known_procedures.sql. -#}
procedure_catalogue as (

    select * from {{ known_procedures() }}

),

parsed as (

    select
        source.*,
        {{ portal_text('source."MaPAKN"') }} as petition_id,
        {{ portal_text('source."MaDonViXuLy"') }} as unit_id,
        {{ portal_text('source."MaTTHC"') }} as procedure_id,
        procedure_catalogue.procedure_id is not null as is_known_procedure,
        {{ decode_enum('petition_classification', 'source."PhanLoai"') }} as classification,
        {{ portal_flag('source."ThuocThamQuyen"') }} as is_within_competence,
        {{ portal_timestamp('source."NgayGui"') }} as sent_at,
        {{ portal_timestamp('source."NgayTiepNhan"') }} as received_at,
        {{ portal_timestamp('source."NgayChuyenGanNhat"') }} as last_transferred_at,
        {{ portal_timestamp('source."NgayXuLy"') }} as handled_at,
        {{ portal_timestamp('source."NgayTuChoi"') }} as refused_at,
        {{ decode_enum('petition_status', 'source."TrangThai"') }} as status,
        {{ portal_number('source."SoLuotThich"', 'integer') }} as like_count,
        {{ portal_number('source."SoLuotKhongThich"', 'integer') }} as dislike_count,
        {{ portal_text('source."MaPAKNGoc"') }} as original_petition_id,
        {{ portal_flag('source."HaiLong"') }} as is_petitioner_satisfied

    from source
    cross join enum_maps
    left join procedure_catalogue
        on source.period = procedure_catalogue.period
        and {{ portal_text('source."MaTTHC"') }} = procedure_catalogue.procedure_id

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('MaPAKN', 'petition_id'),
            quarantine_issue('duplicate_record', 'MaPAKN', duplicate_rank(['petition_id']) ~ ' > 1', 'petition_id'),
            quarantine_issue('unknown_procedure', 'MaTTHC', 'procedure_id is not null and not is_known_procedure', '"MaTTHC"'),
            quarantine_unparsed('invalid_enum', 'PhanLoai', 'classification'),
            quarantine_unparsed('invalid_enum', 'ThuocThamQuyen', 'is_within_competence'),
            quarantine_unparsed('unparseable_date', 'NgayGui', 'sent_at'),
            quarantine_unparsed('unparseable_date', 'NgayTiepNhan', 'received_at'),
            quarantine_unparsed('unparseable_date', 'NgayChuyenGanNhat', 'last_transferred_at'),
            quarantine_unparsed('unparseable_date', 'NgayXuLy', 'handled_at'),
            quarantine_unparsed('unparseable_date', 'NgayTuChoi', 'refused_at'),
            quarantine_unparsed('invalid_enum', 'TrangThai', 'status'),
            quarantine_unparsed('unparseable_number', 'SoLuotThich', 'like_count'),
            quarantine_unparsed('unparseable_number', 'SoLuotKhongThich', 'dislike_count'),
            quarantine_unparsed('invalid_enum', 'HaiLong', 'is_petitioner_satisfied'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'petitions' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, petition_id) as record_key,
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
        is_petitioner_satisfied,
        quarantine_issues

    from checked

)

select * from final
