{#-
    Parsing of the portal's text values (raw keeps every field as text). Each returns null for null or an
    empty string, and null for a value that does not parse; the base models compare the raw text with the
    parsed value to send the unparseable ones to quarantine.
-#}

{#- Text, trimmed; empty string is null. -#}
{% macro portal_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}


{#-
    A portal date or date-time -> timestamp without time zone holding Vietnam wall-clock time
    (Asia/Ho_Chi_Minh, UTC+7). Every form the contract allows is accepted, since real systems send each:
      yyyyMMddHHmmss                    the documented form, Vietnam time
      yyyyMMdd                          a date without its time: `date_only_at` of that day (midnight, or
                                        23:59:59 for a deadline, which runs to the end of its day)
      either with an explicit offset    `+07:00`, `+0700`, `Z` or any other `+HH:MM` / `-HH:MM`, the time
                                        part optionally after a `T` (as in `20250805T020000+07:00`):
                                        converted to Vietnam time
    Anything else (a dashed ISO date, 10 or 13 digits, an offset beyond 14 hours) is null, which the base
    models send to quarantine as unparseable_date. The documented form is tested first and costs what it
    cost before. (strptime alone would accept 13 digits, hence the regular expressions.)
-#}
{% macro portal_timestamp(column, date_only_at='00:00:00') -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    {%- set date_only_digits = date_only_at | replace(':', '') -%}
    case
        when regexp_full_match({{ text }}, '[0-9]{14}')
            then try_strptime({{ text }}, '%Y%m%d%H%M%S')
        when regexp_full_match({{ text }}, '[0-9]{8}')
            then try_strptime({{ text }} || '{{ date_only_digits }}', '%Y%m%d%H%M%S')
        when regexp_full_match({{ text }}, '{{ portal_offset_pattern() }}')
            then {{ portal_offset_timestamp(text, date_only_digits) }}
    end
{%- endmacro %}


{#- The offset form: day, optional time (after an optional T), offset. -#}
{% macro portal_offset_pattern() -%}
    ([0-9]{8})(?:T?([0-9]{6}))?(Z|[+-][0-9]{2}:?[0-9]{2})
{%- endmacro %}


{#-
    A text matching portal_offset_pattern -> Vietnam wall-clock timestamp (null for an offset out of range).
    Inline expressions, no subquery: the macro is also used inside list lambdas over nested records.
-#}
{% macro portal_offset_timestamp(text, date_only_digits) -%}
    {%- set pattern = portal_offset_pattern() -%}
    {%- set day = "regexp_extract(" ~ text ~ ", '" ~ pattern ~ "', 1)" -%}
    {%- set time = "regexp_extract(" ~ text ~ ", '" ~ pattern ~ "', 2)" -%}
    {%- set offset = "regexp_extract(" ~ text ~ ", '" ~ pattern ~ "', 3)" -%}
    {%- set hours = "cast(substr(" ~ offset ~ ", 2, 2) as integer)" -%}
    {%- set minutes = "cast(right(" ~ offset ~ ", 2) as integer)" -%}
    case
        when {{ offset }} = 'Z'
            then try_strptime({{ day }} || coalesce(nullif({{ time }}, ''), '{{ date_only_digits }}'), '%Y%m%d%H%M%S')
                + interval 7 hour
        when {{ hours }} <= 14 and {{ minutes }} < 60
            then try_strptime({{ day }} || coalesce(nullif({{ time }}, ''), '{{ date_only_digits }}'), '%Y%m%d%H%M%S')
                + to_minutes(
                    7 * 60 - (case when left({{ offset }}, 1) = '-' then -1 else 1 end) * ({{ hours }} * 60 + {{ minutes }})
                )
    end
{%- endmacro %}


{#- A portal date (any form portal_timestamp accepts) -> date, of the day in Vietnam. -#}
{% macro portal_date(column) -%}
    cast({{ portal_timestamp(column) }} as date)
{%- endmacro %}


{#- YYYY-MM -> first day of the month. -#}
{% macro portal_month(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{4}-[0-9]{2}')
            then cast(try_strptime(trim({{ column }}) || '-01', '%Y-%m-%d') as date)
    end
{%- endmacro %}


{#- 0/1 flag (JSON number, or a JSON boolean) -> boolean. -#}
{% macro portal_flag(column) -%}
    case lower(trim({{ column }}))
        when '1' then true
        when 'true' then true
        when '0' then false
        when 'false' then false
    end
{%- endmacro %}


{% macro portal_number(column, type='decimal(18, 2)') -%}
    try_cast(trim({{ column }}) as {{ type }})
{%- endmacro %}


{#-
    An enumerated code -> its English name from seed portal_enums (null when the code is unknown), through the
    model's `enum_maps` CTE (below), which must list the enum and be cross-joined: a map lookup per row. (A
    subquery on the seed per value would be decorrelated by DuckDB into a join that materialises the model's
    whole input once per enum.)
-#}
{% macro decode_enum(enum, column) -%}
    {{ enum }}_map[trim({{ column }})]
{%- endmacro %}


{#-
    A one-row relation with a map code -> name for each enum listed, as columns `<enum>_map`: a model lists
    the enums it decodes and cross-joins it, for decode_enum and, inside a lambda, decode_enum_list.
-#}
{% macro enum_maps(enums) -%}
    select
        {%- for enum in enums %}
        map_from_entries(
            list({'key': code, 'value': name}) filter (where enum = '{{ enum }}')
        ) as {{ enum }}_map{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('portal_enums') }}
{%- endmacro %}


{#- A list of codes -> list of names, in order; an unknown code gives a null element. -#}
{% macro decode_enum_list(enum, list_column) -%}
    list_transform({{ list_column }}, lambda code: {{ enum }}_map[trim(code)])
{%- endmacro %}


{#-
    JSON text of a list of objects -> list of structs with the given fields, each as varchar (a JSON number
    or boolean becomes its text). Null when the text is null, empty, not JSON, or not a list.
-#}
{% macro portal_json_list(column, fields) -%}
    case
        when {{ is_json_list(column) }}
            then from_json(
                {{ column }},
                '[{ {%- for field in fields -%}"{{ field }}": "VARCHAR"{{ ", " if not loop.last }}{%- endfor -%} }]'
            )
    end
{%- endmacro %}


{#- JSON text of a list of scalars -> list of varchar. -#}
{% macro portal_json_scalar_list(column) -%}
    case
        when {{ is_json_list(column) }}
            then from_json({{ column }}, '["VARCHAR"]')
    end
{%- endmacro %}


{#- True when the text is a JSON list (json_type is only evaluated on valid JSON). -#}
{% macro is_json_list(column) -%}
    coalesce(case when json_valid({{ column }}) then json_type({{ column }}) = 'ARRAY' end, false)
{%- endmacro %}


{#- True when the text is present but is not a JSON list. -#}
{% macro is_bad_json_list(column) -%}
    (nullif(trim({{ column }}), '') is not null and not {{ is_json_list(column) }})
{%- endmacro %}
