{#-
    Incremental strategy `replace_rebuilt_periods`, for the intermediate models and marts (by period): delete the
    target's rows of the periods this build recomputes (rebuilt_rows(), macros/rebuilt_periods.sql, by the model's
    config period_rows), then insert the new rows, which the model filters with the same predicate. The rows
    deleted are chosen by period, not by the rows the build produced, so a rebuilt period that now yields no
    rows is emptied too. Runs in one transaction, like replace_period_window, which staging uses. Without
    var period_from it replaces the whole table.
-#}
{% macro get_incremental_replace_rebuilt_periods_sql(arg_dict) -%}
    {{ delete_then_insert_sql(arg_dict, rebuilt_rows()) }}
{%- endmacro %}
