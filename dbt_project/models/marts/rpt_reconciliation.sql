{#-
    Our points beside the portal's, for each unit, month and criterion the portal publishes:
    - points_from_records: our scoring of our criterion inputs computed from the record feeds;
    - points_from_portal_inputs: our scoring (same rule table) of the portal's own numerators and denominators;
    - published_points: the points the portal publishes.
    Every period the portal publishes (month, quarter, year to date). Units the portal publishes that the units
    feed does not know are kept under their own id (unit_match 'evaluation_only'; see int_evaluation_units).
-#}

with

published as (

    select * from {{ ref('int_criterion_inputs__portal') }}
    where {{ rebuilt_rows() }}

),

scored as (

    select * from {{ ref('fct_criterion_values') }}
    where {{ rebuilt_rows() }}

),

from_records as (

    select * from scored where input_source = 'records'

),

from_portal_inputs as (

    select * from scored where input_source = 'portal_published'

),

criteria as (

    select criterion_code, rule_version, status from {{ ref('dim_criteria') }}

),

tolerance as (

    select max(value) as points
    from {{ ref('rule_parameters') }}
    where parameter = 'reconciliation_tolerance_points'

),

joined as (

    select
        published.unit_id,
        published.department_id,
        published.department_name,
        published.department_type,
        published.unit_match,
        published.period_type,
        published.period_start,
        published.criterion_code,
        coalesce(from_records.rule_version, from_portal_inputs.rule_version) as rule_version,
        from_records.numerator as records_numerator,
        from_records.denominator as records_denominator,
        from_records.value_state as records_value_state,
        published.numerator as portal_numerator,
        published.denominator as portal_denominator,
        cast(from_records.points as double) as points_from_records,
        cast(from_portal_inputs.points as double) as points_from_portal_inputs,
        published.published_points

    from published
    left join from_records
        on from_records.unit_id = published.unit_id
        and from_records.period_type = published.period_type
        and from_records.period_start = published.period_start
        and from_records.criterion_code = published.criterion_code
    left join from_portal_inputs
        on from_portal_inputs.unit_id = published.unit_id
        and from_portal_inputs.period_type = published.period_type
        and from_portal_inputs.period_start = published.period_start
        and from_portal_inputs.criterion_code = published.criterion_code

),

final as (

    select
        joined.*,
        criteria.status as rule_status,
        round(points_from_records - published_points, 4) as records_minus_published,
        round(points_from_portal_inputs - published_points, 4) as portal_inputs_minus_published,
        round(points_from_records - points_from_portal_inputs, 4) as records_minus_portal_inputs,
        unit_match in ('evaluation_only', 'unmatched') as is_unknown_unit,
        case
            when published_points is null or points_from_records is null then null
            else abs(points_from_records - published_points) <= tolerance.points
        end as records_agree_with_published,
        case
            when published_points is null or points_from_portal_inputs is null then null
            else abs(points_from_portal_inputs - published_points) <= tolerance.points
        end as portal_inputs_agree_with_published,
        case
            when portal_numerator is null or records_numerator is null then null
            else portal_numerator = records_numerator and portal_denominator = records_denominator
        end as inputs_agree

    from joined
    cross join tolerance
    left join criteria
        on criteria.criterion_code = joined.criterion_code
        and criteria.rule_version = joined.rule_version

)

select * from final
