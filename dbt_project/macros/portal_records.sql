{#-
    portal_records(dataset, fields): the raw records of `dataset` that staging builds from, as a subquery.

    - Every portal field in `fields` comes as a varchar column named as the portal names it; a field that no
      landed file carries is a null column (the landed schema is the union of the fields seen). A dataset
      with no landed extraction at all gives an empty relation, so a partial landing never breaks the build.
    - Only periods in the build window (period_window_filter).
    - Per period, only ONE extraction: the one pinned in var `pinned_extractions` ({dataset: {period:
      extracted_at}}), else the latest `extracted_at` of that period. A pin that names no landed extraction
      fails compilation.
    - Adds period and extracted_at (from the hive folders), _page, _row and _record_key (landing metadata).
-#}
{% macro portal_records(dataset, fields) -%}
    {%- set relation = source('raw', dataset) -%}
    {%- set available = portal_landed_columns(relation) -%}
    {%- set pins = portal_pinned_extractions(dataset, relation) -%}
    {%- if available is none %}
    (
        select
            {%- for field in fields %}
            cast(null as varchar) as {{ adapter.quote(field) }},
            {%- endfor %}
            cast(null as integer) as _page,
            cast(null as integer) as _row,
            cast(null as varchar) as _record_key,
            cast(null as varchar) as period,
            cast(null as varchar) as extracted_at
        where false
    )
    {%- else %}
    (
        with landed as (
            select
                {%- for field in fields %}
                {% if field in available %}cast({{ adapter.quote(field) }} as varchar){% else %}cast(null as varchar){% endif %} as {{ adapter.quote(field) }},
                {%- endfor %}
                cast(_page as integer) as _page,
                cast(_row as integer) as _row,
                {% if '_record_key' in available %}cast(_record_key as varchar){% else %}cast(null as varchar){% endif %} as _record_key,
                cast(period as varchar) as period,
                cast(extracted_at as varchar) as extracted_at
            from {{ relation }}
            where {{ period_window_filter('period') }}
        ),

        pinned as (
            {%- if pins %}
            select * from (
                values
                {%- for period, extracted_at in pins.items() %}
                ('{{ period }}', '{{ extracted_at }}'){{ ',' if not loop.last }}
                {%- endfor %}
            ) as pins (period, extracted_at)
            {%- else %}
            select cast(null as varchar) as period, cast(null as varchar) as extracted_at
            where false
            {%- endif %}
        ),

        chosen as (
            select
                landed.period,
                coalesce(any_value(pinned.extracted_at), max(landed.extracted_at)) as extracted_at
            from landed
            left join pinned
                on landed.period = pinned.period
            group by landed.period
        )

        select landed.*
        from landed
        inner join chosen
            on landed.period = chosen.period
            and landed.extracted_at = chosen.extracted_at
    )
    {%- endif %}
{%- endmacro %}


{#- The glob of a source's external_location: read_parquet('<glob>', ...). -#}
{% macro portal_landing_glob(relation) -%}
    {%- set match = modules.re.search("read_parquet\\(\\s*'([^']+)'", relation.render()) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error("source " ~ relation ~ " has no read_parquet('<glob>') external_location") }}
    {%- endif -%}
    {{ return(match.group(1)) }}
{%- endmacro %}


{#- Column names of the landed files, or none when nothing is landed yet (at parse time: assume all). -#}
{% macro portal_landed_columns(relation) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set glob = portal_landing_glob(relation) -%}
    {%- set found = run_query("select count(*) from glob('" ~ glob ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set described = run_query("describe select * from " ~ relation.render()) -%}
    {{ return(described.columns[0].values() | list) }}
{%- endmacro %}


{#-
    The pins of var `pinned_extractions` for one dataset, as {period: extracted_at}, validated: each must be
    YYYY-MM -> an extraction id, and (at run time) a landed, complete extraction.
-#}
{% macro portal_pinned_extractions(dataset, relation) -%}
    {%- set all_pins = var('pinned_extractions', {}) or {} -%}
    {%- set pins = all_pins.get(dataset) or all_pins.get(dataset | replace('_', '-')) or {} -%}
    {%- set checked = {} -%}
    {%- for period, extracted_at in pins.items() -%}
        {%- set period = period | string | trim -%}
        {%- set extracted_at = extracted_at | string | trim -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}', period) or not modules.re.fullmatch('[0-9A-Za-z]+', extracted_at) -%}
            {{ exceptions.raise_compiler_error("pinned_extractions." ~ dataset ~ ": '" ~ period ~ "': '" ~ extracted_at ~ "' is not YYYY-MM: <extracted_at id>") }}
        {%- endif -%}
        {%- if execute -%}
            {%- set glob = portal_landing_glob(relation)
                | replace('period=*', 'period=' ~ period)
                | replace('extracted_at=*', 'extracted_at=' ~ extracted_at) -%}
            {%- set found = run_query("select count(*) from glob('" ~ glob ~ "')").columns[0].values()[0] -%}
            {%- if found == 0 -%}
                {{ exceptions.raise_compiler_error("pinned extraction not found: " ~ dataset ~ " period " ~ period ~ " extracted_at " ~ extracted_at ~ " (no " ~ glob ~ ")") }}
            {%- endif -%}
        {%- endif -%}
        {%- do checked.update({period: extracted_at}) -%}
    {%- endfor -%}
    {{ return(checked) }}
{%- endmacro %}
