{#-
    The build window: vars `period_from` / `period_to` (YYYY-MM, inclusive, each optional). A run without
    them, or with --full-refresh, covers every period found in raw.
-#}

{% macro period_window() -%}
    {%- set bounds = {} -%}
    {%- for name in ['period_from', 'period_to'] -%}
        {%- set value = var(name, none) -%}
        {%- if value is not none and (value | string | trim) != '' -%}
            {%- set value = value | string | trim -%}
            {%- if not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])', value) -%}
                {{ exceptions.raise_compiler_error("var " ~ name ~ " must be YYYY-MM, got '" ~ value ~ "'") }}
            {%- endif -%}
            {%- do bounds.update({name: value}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if bounds.get('period_from') and bounds.get('period_to') and bounds['period_from'] > bounds['period_to'] -%}
        {{ exceptions.raise_compiler_error("period_from " ~ bounds['period_from'] ~ " is after period_to " ~ bounds['period_to']) }}
    {%- endif -%}
    {{ return(bounds) }}
{%- endmacro %}


{#- A SQL predicate on a `YYYY-MM` text column: true when the period is in the build window. -#}
{% macro period_window_filter(column, ignore_on_full_refresh=true) -%}
    {%- set bounds = period_window() -%}
    {%- set predicates = [] -%}
    {%- if not (ignore_on_full_refresh and flags.FULL_REFRESH) -%}
        {%- if bounds.get('period_from') -%}
            {%- do predicates.append(column ~ " >= '" ~ bounds['period_from'] ~ "'") -%}
        {%- endif -%}
        {%- if bounds.get('period_to') -%}
            {%- do predicates.append(column ~ " <= '" ~ bounds['period_to'] ~ "'") -%}
        {%- endif -%}
    {%- endif -%}
    {{- predicates | join(' and ') if predicates else 'true' -}}
{%- endmacro %}
