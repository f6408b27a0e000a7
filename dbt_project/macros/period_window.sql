{#-
    The build window, inclusive, as YYYY-MM, each end optional: vars `period_from` / `period_to` when given, else
    the environment variables DVC_INDEX_PERIOD_FROM / DVC_INDEX_PERIOD_TO (how the pipeline passes a month's
    window). A run without either, or with --full-refresh, covers every period found in raw.

    Read at execution only (`execute`): while dbt parses, the window is empty. A window passed as --vars changes
    dbt's state and makes it re-parse the whole project; an environment variable read while parsing makes it
    re-parse every file that read it (nearly all, through this macro). Read at execution, a new month keeps the
    project's partial parse. No ref() or config may depend on the window for that reason.
-#}

{% macro period_window() -%}
    {%- set bounds = {} -%}
    {%- if not execute -%}
        {{- return(bounds) -}}
    {%- endif -%}
    {%- for name in ['period_from', 'period_to'] -%}
        {%- set value = var(name, none) -%}
        {%- set source = 'var ' ~ name -%}
        {%- if value is none or (value | string | trim) == '' -%}
            {%- set value = env_var('DVC_INDEX_' ~ (name | upper), '') -%}
            {%- set source = 'DVC_INDEX_' ~ (name | upper) -%}
        {%- endif -%}
        {%- if (value | string | trim) != '' -%}
            {%- set value = value | string | trim -%}
            {%- if not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])', value) -%}
                {{ exceptions.raise_compiler_error(source ~ " must be YYYY-MM, got '" ~ value ~ "'") }}
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
