{#-
    The entries of one of a dossier's lists (a list of structs on stg_portal__dossiers), one row each, numbered
    from 1 in the order the portal sent them: the body of a stg_portal__dossier_* view.

    The lists are stored once, on the dossier row, where the per-dossier facts read them in the same pass; the
    views are for analysts (and the quality gate's date checks), so they cost nothing when nobody reads them.
    Their key (period, dossier_id, sequence) holds by construction: one dossier row per period and dossier, one
    position per entry.
-#}
{% macro dossier_list_entries(list_column, sequence_column, fields) -%}
with

dossiers as (

    select period, extracted_at, dossier_id, {{ list_column }}
    from {{ ref('stg_portal__dossiers') }}

),

numbered_entries as (

    select
        period,
        extracted_at,
        dossier_id,
        unnest(list_transform({{ list_column }}, lambda entry, position: {'entry': entry, 'position': position}))
            as numbered

    from dossiers

),

final as (

    select
        period,
        extracted_at,
        dossier_id,
        cast(numbered.position as integer) as {{ sequence_column }}
        {%- for field in fields %},
        numbered.entry.{{ field }} as {{ field }}
        {%- endfor %}

    from numbered_entries

)

select * from final
{%- endmacro %}
