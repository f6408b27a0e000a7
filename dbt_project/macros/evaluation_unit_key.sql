{#- A unit of the published evaluation: its departmentId, or (published without one) its root and name. -#}
{% macro evaluation_unit_key(prefix='') -%}
    coalesce(
        {{ prefix }}department_id,
        coalesce({{ prefix }}root_department_id, 'NATION') || '/' || {{ prefix }}department_name
    )
{%- endmacro %}
