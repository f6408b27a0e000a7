-- Every month, quarter and year touched by the months whose dossiers, or published evaluation (a run from the
-- evaluation alone), are in staging (months landed only as
-- history for a lookback, e.g. earlier publication decisions or report counts, are not periods). Quarters and years run to date: they end
-- after the last month staged in them (a year in progress is year to date, as the portal publishes it).

with

staged_months as (

    select distinct period from {{ ref('stg_portal__dossiers') }}
    union
    select distinct period from {{ ref('stg_portal__evaluation_inputs') }}

),

months as (

    select
        period as month,
        cast(strptime(period || '-01', '%Y-%m-%d') as date) as month_start
    from staged_months

),

period_months as (

    select 'month' as period_type, month_start as period_start, month, month_start from months
    union all
    select 'quarter', cast(date_trunc('quarter', month_start) as date), month, month_start from months
    union all
    select 'year', cast(date_trunc('year', month_start) as date), month, month_start from months

),

periods as (

    select
        period_type,
        period_start,
        max(month_start) as last_month_start,
        max(month) as last_month
    from period_months
    group by period_type, period_start

),

final as (

    select
        period_type,
        period_start,
        cast(last_month_start + interval 1 month as date) as period_end,
        case period_type
            when 'month' then strftime(period_start, '%Y-%m')
            when 'quarter' then strftime(period_start, '%Y') || '-Q' || cast(quarter(period_start) as varchar)
            else strftime(period_start, '%Y')
        end as period_label,
        strftime(period_start, '%Y-%m') as first_month,
        last_month

    from periods

)

select * from final
