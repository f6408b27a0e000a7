{#-
    Which periods an incremental build of the intermediate models and marts recomputes, so that a month's build
    costs about the same in the second month as in the thirteenth.

    A period (period_type, period_start) is REBUILT when one of its months is on or after var period_from: the
    window's months, the quarter and the year (to date) containing them, and any later period already built,
    which reads the window's months through a lookback (catalogue, decisions, report counts) or as its previous
    period. In the monthly run the window is the latest month, so no later period exists.

    The comparable rows (input_source 'records_comparable', see unit_scopes()) of a period are computed from the
    structure of the NEXT period: they are rebuilt for every rebuilt period and for the period before each.

    Everything is rebuilt (every predicate below is `true`) without var period_from, on a model's first build,
    and under --full-refresh: is_incremental() is false then. The model's rows are replaced through the strategy
    replace_rebuilt_periods (macros/incremental_replace_rebuilt_periods.sql), which deletes exactly the rows that
    rebuilt_rows() selects.
-#}

{#- True when this build of the current model recomputes some periods only. A dbt unit test has no `this`
    relation (its model is built from the given rows): it computes every period. -#}
{% macro is_period_increment() -%}
    {%- if this is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {{- return(is_incremental() and period_window().get('period_from') is not none) -}}
{%- endmacro %}


{#- The first day of var period_from, as a SQL date literal. -#}
{% macro rebuilt_from_date() -%}
    date '{{ period_window()['period_from'] }}-01'
{%- endmacro %}


{#- The length of a period of the given type, as a SQL interval. -#}
{% macro period_length(period_type) -%}
    (case {{ period_type }} when 'month' then interval 1 month when 'quarter' then interval 3 month else interval 1 year end)
{%- endmacro %}


{#- A period that this build recomputes (its end is after the first day of period_from). -#}
{% macro period_is_rebuilt(period_type='period_type', period_start='period_start') -%}
    {%- if is_period_increment() -%}
        ({{ period_start }} + {{ period_length(period_type) }} > {{ rebuilt_from_date() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- A period that this build recomputes, or the period before one: those whose comparable rows are rebuilt. -#}
{% macro period_is_rebuilt_or_before(period_type='period_type', period_start='period_start') -%}
    {%- if is_period_increment() -%}
        ({{ period_start }} + {{ period_length(period_type) }} + {{ period_length(period_type) }} > {{ rebuilt_from_date() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#-
    The rows of the current model that this build recomputes, by the model's config `period_rows`:
    - 'period' (default): the rows of the rebuilt periods;
    - 'by_input_source': those, and the comparable rows (input_source 'records_comparable') of the period before;
    - 'comparable': every row is a comparable row (int_unit_scope_comparable).
    The model filters its result with it, and the strategy deletes the same rows before inserting the result.
-#}
{% macro rebuilt_rows(prefix='') -%}
    {%- set kind = config.get('period_rows', 'period') -%}
    {%- set period_type, period_start = prefix ~ 'period_type', prefix ~ 'period_start' -%}
    {%- if not execute -%}
        true
    {%- elif kind == 'period' -%}
        {{ period_is_rebuilt(period_type, period_start) }}
    {%- elif kind == 'comparable' -%}
        {{ period_is_rebuilt_or_before(period_type, period_start) }}
    {%- elif kind == 'by_input_source' -%}
        ({{ period_is_rebuilt(period_type, period_start) }} or ({{ prefix }}input_source = 'records_comparable' and {{ period_is_rebuilt_or_before(period_type, period_start) }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error("config period_rows must be period, by_input_source or comparable, got '" ~ kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#-
    A pruning aid on a YYYY-MM staging column, for models that read the records of the rebuilt periods only: those
    periods read months from January of period_from's year on (a year to date reads its year). With
    `before=true`, for models that also read the records of the period before (the comparable rows): from
    January of the year before. Always combined with the exact join on the period's months; it only lets DuckDB
    skip the row groups of older months.
-#}
{% macro rebuilt_months_filter(column, before=false) -%}
    {%- if is_period_increment() -%}
        {%- set year = period_window()['period_from'][:4] | int - (1 if before else 0) -%}
        {{ column }} >= '{{ '%04d' | format(year) }}-01'
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
