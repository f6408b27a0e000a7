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


{#- The length of a period of the given type, as a SQL interval. -#}
{% macro period_length(period_type) -%}
    (case {{ period_type }} when 'month' then interval 1 month when 'quarter' then interval 3 month else interval 1 year end)
{%- endmacro %}


{#-
    The SQL predicates, for a build with var period_from (callers check that there is one):
    - 'period': a period whose end is after the first day of period_from (a rebuilt period);
    - 'period_or_before': a rebuilt period, or the period before one (whose comparable rows are rebuilt);
    - 'period_rows' kinds (config period_rows of a model): 'period'; 'comparable' (every row is a comparable row:
      'period_or_before'); 'by_input_source' (rows of rebuilt periods, and comparable rows of the period before).
-#}
{% macro rebuilt_periods_predicate(kind, prefix='', period_type=none, period_start=none) -%}
    {%- set period_type = period_type or prefix ~ 'period_type' -%}
    {%- set period_start = period_start or prefix ~ 'period_start' -%}
    {%- set first_day = "date '" ~ period_window()['period_from'] ~ "-01'" -%}
    {%- set rebuilt = '(' ~ period_start ~ ' + ' ~ period_length(period_type) ~ ' > ' ~ first_day ~ ')' -%}
    {%- set rebuilt_or_before = '(' ~ period_start ~ ' + ' ~ period_length(period_type) ~ ' + '
        ~ period_length(period_type) ~ ' > ' ~ first_day ~ ')' -%}
    {#- Implied by each predicate below (a period is at most a year long, and a period before a rebuilt one starts
        less than two years before the window). It is a comparison of the column with a constant, which DuckDB
        checks against each row group's min and max: the reads and deletes of a build skip the older row groups
        instead of evaluating the expressions on every row of the table's history. -#}
    {%- set period_from = period_window()['period_from'] -%}
    {%- set two_years_before = "date '" ~ (period_from[:4] | int - 2) ~ period_from[4:] ~ "-01'" -%}
    {%- set recent = '(' ~ period_start ~ ' > ' ~ two_years_before ~ ')' -%}
    {%- if kind == 'period' -%}
        ({{ recent }} and {{ rebuilt }})
    {%- elif kind in ('period_or_before', 'comparable') -%}
        ({{ recent }} and {{ rebuilt_or_before }})
    {%- elif kind == 'by_input_source' -%}
        ({{ recent }} and ({{ rebuilt }} or ({{ prefix }}input_source = 'records_comparable' and {{ rebuilt_or_before }})))
    {%- else -%}
        {{ exceptions.raise_compiler_error("config period_rows must be period, by_input_source or comparable, got '" ~ kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#- rebuilt_periods_predicate(kind) in a build that recomputes some periods only; `true` otherwise. -#}
{% macro rebuilt_periods_if_increment(kind, period_type, period_start) -%}
    {%- if is_period_increment() -%}
        {{ rebuilt_periods_predicate(kind, period_type=period_type, period_start=period_start) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- A period that this build recomputes. -#}
{% macro period_is_rebuilt(period_type='period_type', period_start='period_start') -%}
    {{ rebuilt_periods_if_increment('period', period_type, period_start) }}
{%- endmacro %}


{#- A period that this build recomputes, or the period before one: those whose comparable rows are rebuilt. -#}
{% macro period_is_rebuilt_or_before(period_type='period_type', period_start='period_start') -%}
    {{ rebuilt_periods_if_increment('period_or_before', period_type, period_start) }}
{%- endmacro %}


{#-
    The rows of the current model that this build recomputes, by the model's config `period_rows` ('period' by
    default, 'by_input_source', 'comparable'). The model filters its result with it, and the strategy deletes the
    same rows before inserting the result.
-#}
{% macro rebuilt_rows(prefix='') -%}
    {%- if execute and is_period_increment() -%}
        {{ rebuilt_periods_predicate(config.get('period_rows', 'period'), prefix) }}
    {%- else -%}
        true
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


{#-
    The rows of a model that a build with a window wrote, for its data tests: the other rows were tested when
    they were built and have not changed since, so testing them again would make each month's tests cost more
    as history grows. `node` is the model's graph node: a staging model (strategy replace_period_window) wrote the
    window's periods; an intermediate model or mart incremental by period (config period_rows, or strategy
    replace_rebuilt_periods) the rows of rebuilt_rows(). Every row without a window, under --full-refresh, and
    for tables. (A model built for the first time by a windowed build is tested on the window's rows only.)
-#}
{% macro rows_built_by_this_run(node) -%}
    {%- set node_config = node.get('config', {}) if node else {} -%}
    {%- set strategy = node_config.get('incremental_strategy') -%}
    {%- set kind = node_config.get('period_rows') -%}
    {%- if flags.FULL_REFRESH or node_config.get('materialized') != 'incremental' -%}
        true
    {%- elif strategy == 'replace_period_window' -%}
        {{ period_window_filter('period') }}
    {%- elif (strategy == 'replace_rebuilt_periods' or kind) and period_window().get('period_from') -%}
        {{ rebuilt_periods_predicate(kind or 'period') }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The graph node of a model of this project, by name (for singular tests); none while parsing. -#}
{% macro model_node(name) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(graph.nodes.get('model.' ~ project_name ~ '.' ~ name)) -}}
{%- endmacro %}
