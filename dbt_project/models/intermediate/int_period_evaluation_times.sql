{#-
    Each period of int_periods with the moment it is judged at (METHODOLOGY.md, "open at the end of P"):
    evaluated_at = min(the period's last second, the extraction time of its latest data); source_extracted_at is
    that extraction time (Vietnam time) of the latest dossiers or petitions the period reads (of the published
    evaluation, for a month that has no records: a run from the evaluation alone). Past periods are
    judged at their end; the running period at the time its records were extracted (Vietnam time, like every
    source timestamp; extracted_at is the UTC start of the extraction). first_month / last_month are the
    YYYY-MM staging periods whose records the period reads.
-#}

with

periods as (

    select * from {{ ref('int_periods') }}

),

record_extractions as (

    select period, extracted_at from {{ ref('stg_portal__dossiers') }}
    union all
    select period, extracted_at from {{ ref('stg_portal__petitions') }}

),

extractions as (

    select period, extracted_at from record_extractions
    union all
    select distinct period, extracted_at from {{ ref('stg_portal__evaluation_inputs') }}
    where period not in (select period from record_extractions)

),

extraction_clock as (

    select
        period,
        max(
            date_trunc('second', strptime(extracted_at, '%Y%m%dT%H%M%S%fZ') + interval 7 hour)
        ) as extracted_at_local

    from extractions
    group by period

),

period_months as (

    select
        period_type,
        period_start,
        period_end,
        strftime(period_start, '%Y-%m') as first_month,
        strftime(cast(period_end as date) - interval 1 day, '%Y-%m') as last_month,
        cast(period_start as timestamp) as period_start_at,
        cast(period_end as timestamp) - interval 1 second as period_last_second_at

    from periods

),

period_clock as (

    select
        period_months.period_type,
        period_months.period_start,
        max(extraction_clock.extracted_at_local) as extracted_at_local

    from period_months
    left join extraction_clock
        on extraction_clock.period between period_months.first_month and period_months.last_month
    group by all

),

final as (

    select
        period_months.period_type,
        period_months.period_start,
        period_months.period_end,
        period_months.first_month,
        period_months.last_month,
        period_months.period_start_at,
        least(
            period_months.period_last_second_at,
            coalesce(period_clock.extracted_at_local, period_months.period_last_second_at)
        ) as evaluated_at,
        period_clock.extracted_at_local as source_extracted_at

    from period_months
    inner join period_clock
        on period_clock.period_type = period_months.period_type
        and period_clock.period_start = period_months.period_start

)

select * from final
