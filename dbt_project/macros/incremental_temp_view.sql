{#-
    The new rows of an incremental model with one of the project's replacing strategies (replace_rebuilt_periods,
    replace_period_window) go straight into the target: dbt-duckdb's incremental materialization stores the model's
    query as a temporary table first and then copies it into the target, writing every rebuilt row twice (44
    million rows of int_dossier_facts and 15 million wide dossier rows in a national month). Here that temporary
    relation is a view of the query, which the strategy's `insert ... select` then runs once, after deleting the
    rows it replaces. dbt still reads the view's columns for its schema-change checks and the enforced contract is
    still asserted on the query.

    Safe because no model with these strategies reads its own table ({{ this }}): the delete happens before the
    query runs. A model that does (fct_unit_score_revisions, `append`) keeps dbt-duckdb's temporary table.
-#}

{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {%- if temporary and language == 'sql'
            and config.get('incremental_strategy') in ['replace_rebuilt_periods', 'replace_period_window'] -%}
        {%- set contract_config = config.get('contract') -%}
        {%- if contract_config and contract_config.enforced -%}
            {{ get_assert_columns_equivalent(compiled_code) }}
        {%- endif -%}
        {%- set sql_header = config.get('sql_header', none) -%}
        {{ sql_header if sql_header is not none }}
        create or replace temporary view {{ relation.include(database=false, schema=false) }} as (
            {{ compiled_code }}
        );
    {%- else -%}
        {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by, sorted_by) }}
    {%- endif -%}
{%- endmacro %}
