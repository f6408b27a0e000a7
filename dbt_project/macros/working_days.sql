{#-
    Working days, only through the calendar_days seed (calendar_date, is_working_day, working_day_number =
    running count of working days up to and including the date). No holiday is ever written in SQL.

    The macros return scalar expressions over `working_day_calendar`, a one-row relation the model cross-joins
    (`cross join {{ working_day_calendar() }}`): the seed as lists indexed by day, so that each lookup is a list
    index, not a subquery (DuckDB decorrelates a scalar subquery into a join that materialises every row of the
    model's input once per lookup: gigabytes at national scale). They follow orchestration/calendar.py, which the
    simulator uses:

      working_days_between(a, b)   working days in [date(a), date(b)); negative when b < a; null when either
                                   is null or outside the calendar.
      add_working_days(d, n)       date(d) moved by n working days. For n >= 0 a non-working start is first
                                   rolled forward to the next working day, for n < 0 backward to the previous
                                   one (received on a Friday, 1 working day: due on Monday). Returns a date;
                                   null outside the calendar.

    The number of working days strictly before a date is working_day_number - is_working_day. The seed has every
    date from its first to its last (test assert_calendar_days_are_contiguous), so a date's index is its offset
    from the first date.
-#}

{% macro working_day_calendar() -%}
    (
        select
            min(calendar_date) as first_date,
            max(calendar_date) as last_date,
            list(working_day_number order by calendar_date) as working_day_numbers,
            list(cast(is_working_day as integer) order by calendar_date) as working_day_flags,
            list(calendar_date order by calendar_date) filter (where cast(is_working_day as boolean))
                as working_dates
        from {{ ref('calendar_days') }}
    ) as working_day_calendar
{%- endmacro %}


{#- 1-based index of a date in the calendar's lists; null outside the calendar. -#}
{% macro calendar_index(date_expr) -%}
    (
        case
            when cast({{ date_expr }} as date) between working_day_calendar.first_date and working_day_calendar.last_date
                then datediff('day', working_day_calendar.first_date, cast({{ date_expr }} as date)) + 1
        end
    )
{%- endmacro %}


{% macro working_days_before(date_expr) -%}
    (
        working_day_calendar.working_day_numbers[{{ calendar_index(date_expr) }}]
        - working_day_calendar.working_day_flags[{{ calendar_index(date_expr) }}]
    )
{%- endmacro %}


{% macro working_days_between(start_expr, end_expr) -%}
    ({{ working_days_before(end_expr) }} - {{ working_days_before(start_expr) }})
{%- endmacro %}


{#- The date of the working day numbered `number_expr` (1 = the calendar's first); null outside. -#}
{% macro working_date_numbered(number_expr) -%}
    (
        case
            when ({{ number_expr }}) >= 1
                then working_day_calendar.working_dates[cast({{ number_expr }} as bigint)]
        end
    )
{%- endmacro %}


{% macro add_working_days(date_expr, days_expr) -%}
    {{ working_date_numbered(
        'case when (' ~ days_expr ~ ') >= 0 then ' ~ working_days_before(date_expr) ~ ' + (' ~ days_expr ~ ') + 1'
        ~ ' else working_day_calendar.working_day_numbers[' ~ calendar_index(date_expr) ~ '] + (' ~ days_expr ~ ') end'
    ) }}
{%- endmacro %}


{#- A timestamp moved by n working days, its time of day kept (a due date moved by supplement time). -#}
{% macro add_working_days_keep_time(timestamp_expr, days_expr) -%}
    (
        {{ add_working_days(timestamp_expr, days_expr) }}
        + (cast({{ timestamp_expr }} as timestamp) - cast(cast({{ timestamp_expr }} as date) as timestamp))
    )
{%- endmacro %}
