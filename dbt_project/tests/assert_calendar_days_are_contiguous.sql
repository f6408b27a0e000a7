-- The working-day macros (macros/working_days.sql) index calendar_days by a day's offset from its first date and
-- by working_day_number: every date from the first to the last must be there once, and working_day_number must
-- be the running count of working days from the first date. Returns the days where that fails.
with

days as (

    select
        calendar_date,
        working_day_number,
        row_number() over (order by calendar_date) as position,
        min(calendar_date) over () as first_date,
        cast(sum(cast(is_working_day as integer)) over (order by calendar_date) as integer) as running_count
    from {{ ref('calendar_days') }}

)

select *
from days
where datediff('day', first_date, calendar_date) + 1 <> position
    or working_day_number <> running_count
