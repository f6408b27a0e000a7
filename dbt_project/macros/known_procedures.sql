{#-
    known_procedures(): a subquery of (period, procedure_id): the procedures known in each period, i.e. its own
    catalogue and the catalogues of the rule table's `catalogue_lookback_months` before it (a dossier opened under
    a unit that has since ended keeps a procedure its successor may not list). The reference of unknown_procedure.
    Only the build window's periods (period_window_filter), from the catalogues that can reach them: the staged
    records are the window's, and reading every catalogue ever landed would grow with history.
-#}
{% macro known_procedures() -%}
    (
        with catalogue_lookback as (
            select cast(max(value) as integer) as months
            from {{ ref('rule_parameters') }}
            where parameter = 'catalogue_lookback_months'
        ),

        catalogue_months as (
            select
                catalogue.period as catalogue_period,
                catalogue.procedure_id,
                unnest(generate_series(0, coalesce(catalogue_lookback.months, 0))) as months_later
            from {{ ref('base_portal__procedures') }} as catalogue
            cross join catalogue_lookback
            where len(catalogue.quarantine_issues) = 0
                {%- set bounds = period_window() %}
                {%- if bounds.get('period_from') and not flags.FULL_REFRESH %}
                and catalogue.period >= strftime(
                    date '{{ bounds['period_from'] }}-01' - to_months(coalesce(catalogue_lookback.months, 0)), '%Y-%m'
                )
                {%- endif %}
                {%- if bounds.get('period_to') and not flags.FULL_REFRESH %}
                and catalogue.period <= '{{ bounds['period_to'] }}'
                {%- endif %}
        )

        select distinct period, procedure_id
        from (
            select
                strftime(cast(catalogue_period || '-01' as date) + to_months(cast(months_later as integer)), '%Y-%m') as period,
                procedure_id
            from catalogue_months
        )
        where {{ period_window_filter('period') }}
    )
{%- endmacro %}
