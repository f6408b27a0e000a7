-- The latest known version of every unit: the row of the last period in which the units feed carried it; and
-- every unit that only the published evaluation knows (int_evaluation_units, unit_match 'evaluation_only'), as
-- the evaluation of the last month that listed it describes it. Such a unit is in force, as far as the evaluation
-- shows, from the first month whose own listing names it, to the end of the last one (open while the latest month
-- landed names it). A unit that only a quarter's or a year's listing names (in force at the end of a period, after
-- the months landed) is in force from the month after the latest one landed.

with

units as (

    select * from {{ ref('stg_portal__units') }}

),

ranked as (

    select
        *,
        min(period) over (partition by unit_id) as first_period,
        max(period) over (partition by unit_id) as last_period,
        row_number() over (partition by unit_id order by period desc, extracted_at desc) as version_rank
    from units

),

from_feed as (

    select
        unit_id,
        unit_name,
        unit_type,
        parent_unit_id,
        administrative_code,
        valid_from,
        valid_to,
        successor_unit_id,
        has_electronic_certified_copy_service,
        evaluation_department_id,
        first_period,
        last_period,
        'units_feed' as unit_source

    from ranked
    where version_rank = 1

),

evaluation_months as (

    select max(period) as latest_period from {{ ref('int_evaluation_units') }}

),

evaluation_only as (

    select
        unit_id,
        department_name as unit_name,
        unit_type,
        parent_unit_id,
        cast(null as varchar) as administrative_code,
        cast(strptime(coalesce(
            min(period) filter (where is_listed_in_month) over (partition by unit_id),
            strftime(strptime((select latest_period from evaluation_months) || '-01', '%Y-%m-%d') + interval 1 month, '%Y-%m')
        ) || '-01', '%Y-%m-%d') as date) as valid_from,
        case
            when max(period) filter (where is_listed_in_month) over (partition by unit_id)
                = (select latest_period from evaluation_months)
                then cast(null as date)
            else cast(last_day(strptime(
                max(period) filter (where is_listed_in_month) over (partition by unit_id) || '-01', '%Y-%m-%d'
            )) as date)
        end as valid_to,
        cast(null as varchar) as successor_unit_id,
        cast(null as boolean) as has_electronic_certified_copy_service,
        department_id as evaluation_department_id,
        min(period) over (partition by unit_id) as first_period,
        max(period) over (partition by unit_id) as last_period,
        'evaluation_only' as unit_source

    from {{ ref('int_evaluation_units') }}
    where unit_match = 'evaluation_only'
    qualify row_number() over (partition by unit_id order by period desc) = 1

),

final as (

    select * from from_feed
    union all by name
    select * from evaluation_only

)

select * from final
