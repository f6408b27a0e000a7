{#-
    Incremental strategy `replace_period_window`: delete every row of the target whose `period` is in the
    build window, then insert the new rows. Unlike delete+insert on `period`, a period that now has no rows
    (every record quarantined, or no extraction any more) is emptied too, so a rebuilt month never keeps stale
    rows. Runs in one transaction. Without a window it replaces the whole table.
-#}
{% macro get_incremental_replace_period_window_sql(arg_dict) -%}
    {{ delete_then_insert_sql(arg_dict, period_window_filter('period', ignore_on_full_refresh=false)) }}
{%- endmacro %}


{#- The body of both replacing strategies: delete the target's rows matching `predicate`, insert the new rows. -#}
{% macro delete_then_insert_sql(arg_dict, predicate) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ predicate }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
{%- endmacro %}
