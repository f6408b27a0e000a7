{#-
    The quarantine rule, in one place. Each base_portal__* model computes `quarantine_issues`, a list of
    {reason, field, raw_value} structs, from the checks below; a record with any issue is left out of staging
    and listed in stg_portal__quarantine, one row per issue. Reasons:

      duplicate_record     a later copy (by _page, _row) of a key already seen in the same extraction; the
                           first copy is kept (unless it has issues of its own)
      missing_key          a key field is null or empty
      unparseable_date     a non-empty date that does not parse in its expected format
      unparseable_number   a non-empty number that does not parse
      unparseable_json     a non-empty list field that is not a JSON list
      invalid_enum         a code (or 0/1 flag) that seed portal_enums does not list
      unknown_procedure    a MaTTHC not in the procedure catalogue of the same period
      negative_fee         a DanhSachLePhi entry with Gia < 0

    raw_value is the offending text as it came (at most 500 characters), never for a personal field
    (portal_personal_fields).
-#}

{% macro quarantine_issue(reason, field, condition, raw_value='null') -%}
    case
        when {{ condition }}
            then {
                'reason': '{{ reason }}',
                'field': '{{ field }}',
                'raw_value': {{ 'cast(null as varchar)' if field in portal_personal_fields() else 'left(cast(' ~ raw_value ~ ' as varchar), 500)' }}
            }
    end
{%- endmacro %}


{#- The present-but-unparsed check: raw text non-empty, parsed value null. -#}
{% macro quarantine_unparsed(reason, field, parsed) -%}
    {{ quarantine_issue(reason, field, portal_text(adapter.quote(field)) ~ ' is not null and ' ~ parsed ~ ' is null', adapter.quote(field)) }}
{%- endmacro %}


{% macro quarantine_missing_key(field, parsed) -%}
    {{ quarantine_issue('missing_key', field, parsed ~ ' is null', adapter.quote(field)) }}
{%- endmacro %}


{#-
    A nested check over a list of structs: the first element whose `condition` (a lambda body over `item`)
    holds gives the issue, with `raw_value` (an expression over `item`) as its raw value.
-#}
{% macro quarantine_nested(reason, field, list_column, condition, raw_value) -%}
    {{ quarantine_issue(
        reason,
        field,
        'len(list_filter(' ~ list_column ~ ', lambda item: ' ~ condition ~ ')) > 0',
        'list_filter(' ~ list_column ~ ', lambda item: ' ~ condition ~ ')[1].' ~ raw_value
    ) }}
{%- endmacro %}


{#- The issues list: the non-null issues among those given. -#}
{% macro quarantine_issues(issues) -%}
    list_filter(
        [
            {{ issues | join(',\n            ') }}
        ],
        lambda issue: issue is not null
    )
{%- endmacro %}


{#-
    Duplicate detection: rank of the record among the records of the same key in the same extraction,
    first by (_page, _row) is 1. Records with a missing key are not ranked (they are missing_key).
    A window over the parsed rows carries every column through its sort: fine for the small feeds; the dossier
    feed uses record_copies() instead.
-#}
{% macro duplicate_rank(key_columns) -%}
    case
        when {% for column in key_columns %}{{ column }} is not null{{ ' and ' if not loop.last }}{% endfor %}
            then row_number() over (
                partition by period, extracted_at, {{ key_columns | join(', ') }}
                order by _page, _row
            )
    end
{%- endmacro %}


{#-
    record_copies(source, key_expressions): the same rank as duplicate_rank(), for a large feed: a subquery of
    (period, extracted_at, _page, _row, copy_number) computed from the key columns only, so the window sorts a
    few narrow columns instead of whole parsed records (at national scale, gigabytes). It lists the later copies
    only (copy_number > 1): the model left-joins it on (period, extracted_at, _page, _row), which identify a
    landed record (orchestration/landing.py), and a record without a match is a first copy. Listing every record
    made the join's hash table as large as the feed, and DuckDB built it from the wide side (a national month
    spilled 16 GB). Keys are expressions over the raw columns of `source`; a missing key is not ranked.
-#}
{% macro record_copies(source, key_expressions) -%}
    (
        select
            period,
            extracted_at,
            _page,
            _row,
            row_number() over (
                partition by period, extracted_at, {{ key_expressions | join(', ') }}
                order by _page, _row
            ) as copy_number
        from {{ source }}
        where {% for key in key_expressions %}{{ key }} is not null{{ ' and ' if not loop.last }}{% endfor %}
        qualify copy_number > 1
    )
{%- endmacro %}
