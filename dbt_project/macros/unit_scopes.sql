{#-
    The scopes records are counted over, one per input source: 'records' (each unit in force in the period over
    itself and its descendants, int_unit_scope) and 'records_comparable' (a unit of the next period's structure
    over the records of its predecessors, int_unit_scope_comparable). Criterion-input models group by
    input_source so the two series never mix.

    Only the scopes of the rows the build recomputes (macros/rebuilt_periods.sql): 'records' of the rebuilt
    periods, 'records_comparable' of those and of the period before each; all of them in a full build.
-#}
{% macro unit_scopes() %}
    select period_type, period_start, ancestor_unit_id, descendant_unit_id, depth, 'records' as input_source
    from {{ ref('int_unit_scope') }}
    where {{ period_is_rebuilt() }}
    union all
    select period_type, period_start, ancestor_unit_id, descendant_unit_id, depth, 'records_comparable' as input_source
    from {{ ref('int_unit_scope_comparable') }}
    where {{ period_is_rebuilt_or_before() }}
{% endmacro %}
