{#-
    rule_code_sets(names): a one-row select with, for each code set named, the list of its values in the active
    rule versions (seed rule_code_sets): which staged codes a criterion counts, e.g. the databases that make a
    dossier citizen-data-connected. An empty list where the seed has no row for the set. Cross join it where the
    codes are tested (list_contains / list_has_any), so the codes stay in the rule table, not in SQL.
-#}
{% macro rule_code_sets(names) -%}
    select
        {%- for name in names %}
        coalesce(list(value) filter (where code_set = '{{ name }}'), cast([] as varchar[])) as {{ name }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('rule_code_sets') }}
    where rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)
{%- endmacro %}
