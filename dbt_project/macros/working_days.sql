{#-
    Working days, only through the calendar_days seed (calendar_date, is_working_day, working_day_number =
    running count of working days up to and including the date). No holiday is ever written in SQL.

    Both macros return a scalar expression (lookups on the seed, which DuckDB turns into joins) and follow
    orchestration/calendar.py, which the simulator uses:

      working_days_between(a, b)   working days in [date(a), date(b)); negative when b < a; null when either
                                   is null.
      add_working_days(d, n)       date(d) moved by n working days. For n >= 0 a non-working start is first
                                   rolled forward to the next working day, for n < 0 backward to the previous
                                   one (received on a Friday, 1 working day: due on Monday). Returns a date.

    The number of working days strictly before a date is working_day_number - is_working_day.
-#}

{% macro working_days_before(date_expr) -%}
    (
        select calendar_before.working_day_number - cast(calendar_before.is_working_day as integer)
        from {{ ref('calendar_days') }} as calendar_before
        where calendar_before.calendar_date = cast({{ date_expr }} as date)
    )
{%- endmacro %}


{% macro working_days_between(start_expr, end_expr) -%}
    ({{ working_days_before(end_expr) }} - {{ working_days_before(start_expr) }})
{%- endmacro %}


{% macro add_working_days(date_expr, days_expr) -%}
    (
        select calendar_target.calendar_date
        from {{ ref('calendar_days') }} as calendar_target
        where cast(calendar_target.is_working_day as boolean)
            and calendar_target.working_day_number = (
                select
                    case
                        when ({{ days_expr }}) >= 0
                            then calendar_start.working_day_number
                                - cast(calendar_start.is_working_day as integer) + ({{ days_expr }}) + 1
                        else calendar_start.working_day_number + ({{ days_expr }})
                    end
                from {{ ref('calendar_days') }} as calendar_start
                where calendar_start.calendar_date = cast({{ date_expr }} as date)
            )
    )
{%- endmacro %}


{#- A timestamp moved by n working days, its time of day kept (a due date moved by supplement time). -#}
{% macro add_working_days_keep_time(timestamp_expr, days_expr) -%}
    (
        {{ add_working_days(timestamp_expr, days_expr) }}
        + (cast({{ timestamp_expr }} as timestamp) - cast(cast({{ timestamp_expr }} as date) as timestamp))
    )
{%- endmacro %}
