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
    yyyyMMddHHmmss -> timestamp without time zone holding Vietnam wall-clock time (Asia/Ho_Chi_Minh, UTC+7),
    as the portal sends it. The format is checked strictly: strptime alone accepts 13 digits.
-#}
{% macro portal_timestamp(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{14}')
            then try_strptime(trim({{ column }}), '%Y%m%d%H%M%S')
    end
{%- endmacro %}


{#- yyyyMMdd -> date. -#}
{% macro portal_date(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{8}')
            then cast(try_strptime(trim({{ column }}), '%Y%m%d') as date)
    end
{%- endmacro %}


{#- A date that may come as yyyyMMdd or yyyyMMddHHmmss (decision and effective dates) -> date. -#}
{% macro portal_day(column) -%}
    coalesce({{ portal_date(column) }}, cast({{ portal_timestamp(column) }} as date))
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
