{#-
    The scopes records are counted over, one per input source: 'records' (each unit in force in the period over
    itself and its descendants, int_unit_scope) and 'records_comparable' (a unit of the next period's structure
    over the records of its predecessors, int_unit_scope_comparable). Criterion-input models group by
    input_source so the two series never mix.
-#}
{% macro unit_scopes() %}
    select period_type, period_start, ancestor_unit_id, descendant_unit_id, depth, 'records' as input_source
    from {{ ref('int_unit_scope') }}
    union all
    select period_type, period_start, ancestor_unit_id, descendant_unit_id, depth, 'records_comparable' as input_source
    from {{ ref('int_unit_scope_comparable') }}
{% endmacro %}
