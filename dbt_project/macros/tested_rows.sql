{#-
    Generic data tests read their model through get_where_subquery(): this project's version adds, to a test's
    own `where`, the rows this run wrote (rows_built_by_this_run(), macros/rebuilt_periods.sql), so that a
    month's tests cost the same whatever the history behind it. Relationship targets (`to`) are read whole.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.get('attached_node') else none -%}
    {%- set built = (rows_built_by_this_run(tested) | trim) if tested else 'true' -%}
    {%- if where or built != 'true' -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ where or 'true' }}) and {{ built }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
