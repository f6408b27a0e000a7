{#- Ratings: parsed and checked. The quarantine rule is macros/quarantine.sql. -#}

with

source as (

    select *
    from {{ portal_records('ratings', ['MaHoSo', 'NgayDanhGia', 'KetQua']) }}

),

enum_maps as (

    {{ enum_maps(['rating_result']) }}

),

parsed as (

    select
        source.*,
        {{ portal_text('"MaHoSo"') }} as dossier_id,
        {{ portal_text('"NgayDanhGia"') }} as rated_at_text,
        {{ portal_timestamp('"NgayDanhGia"') }} as rated_at,
        {{ decode_enum('rating_result', '"KetQua"') }} as rating_result

    from source
    cross join enum_maps

),

checked as (

    select
        *,
        {{ quarantine_issues([
            quarantine_missing_key('MaHoSo', 'dossier_id'),
            quarantine_missing_key('NgayDanhGia', 'rated_at_text'),
            quarantine_issue('duplicate_record', 'MaHoSo|NgayDanhGia', duplicate_rank(['dossier_id', 'rated_at_text']) ~ ' > 1', "dossier_id || '|' || rated_at_text"),
            quarantine_unparsed('unparseable_date', 'NgayDanhGia', 'rated_at'),
            quarantine_unparsed('invalid_enum', 'KetQua', 'rating_result'),
        ]) }} as quarantine_issues

    from parsed

),

final as (

    select
        'ratings' as dataset,
        period,
        extracted_at,
        coalesce(_record_key, concat_ws('|', dossier_id, rated_at_text)) as record_key,
        dossier_id,
        rated_at,
        rating_result,
        quarantine_issues

    from checked

)

select * from final
