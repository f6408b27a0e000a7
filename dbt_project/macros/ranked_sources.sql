{#-
    ranked_sources(): per period, the input source that is ranked and whose changes are attributed: 'records'
    where the record feeds were scored for the period (the default run, which the published evaluation only
    reconciles), else 'portal_published' (a run from the published evaluation alone, or a period only it
    covers). A subquery with period_type, period_start, ranked_source and previous_source_allowed: the sources
    a previous value may come from (the comparable series of records beside records themselves).
-#}
{% macro ranked_sources() -%}
    select
        period_type,
        period_start,
        case when bool_or(input_source = 'records') then 'records' else 'portal_published' end as ranked_source
    from {{ ref('fct_unit_scores') }}
    where input_source in ('records', 'portal_published')
    group by all
{%- endmacro %}


{#- The rows of `relation_alias` (with input_source, period_type, period_start) of their period's ranked source,
    or of the comparable series where records are ranked: a join condition on an alias of ranked_sources(). -#}
{% macro of_ranked_source(relation_alias, sources_alias='ranked_sources') -%}
    {{ sources_alias }}.period_type = {{ relation_alias }}.period_type
    and {{ sources_alias }}.period_start = {{ relation_alias }}.period_start
    and (
        {{ relation_alias }}.input_source = {{ sources_alias }}.ranked_source
        or ({{ sources_alias }}.ranked_source = 'records' and {{ relation_alias }}.input_source = 'records_comparable')
    )
{%- endmacro %}
