-- Criterion inputs from every source, one scoring model for all (ARCHITECTURE.md): the numerators and
-- denominators computed from records, and those the portal publishes (with its own points, for reconciliation).

with

records as (

    select
        unit_id,
        period_type,
        period_start,
        criterion_code,
        numerator,
        denominator,
        input_source,
        cast(null as double) as published_points
    from {{ ref('int_criterion_inputs__records') }}
    where {{ rebuilt_rows() }}

),

portal as (

    select
        unit_id,
        period_type,
        period_start,
        criterion_code,
        numerator,
        denominator,
        input_source,
        published_points
    from {{ ref('int_criterion_inputs__portal') }}
    -- a published unit we could not match to ours cannot be scored; reconciliation lists it from the portal model
    where unit_id is not null
        and {{ rebuilt_rows() }}

),

final as (

    select * from records
    union all
    select * from portal

)

select
    unit_id,
    period_type,
    cast(period_start as date) as period_start,
    criterion_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    input_source,
    cast(published_points as double) as published_points
from final
