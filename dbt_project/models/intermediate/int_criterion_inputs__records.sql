{#-
    Criterion inputs computed from the portal's records: input_source 'records' (one row per unit in force in
    the period) and 'records_comparable' (a unit of the next period's structure over its predecessors' records,
    int_unit_scope_comparable); per criterion that the rule table computes for its unit type (rule_criteria.unit_types of the
    active row in force at the period's start), over the records of the unit and all its descendants.
    Criteria computed at ministry/province level only get rows for those units; their inheritance by
    descendants is the scoring mart's. ELECTRONIC_CERTIFIED_COPY gets no row: the active rule does not measure
    it (scoring_kind not_measured).
-#}

with

inputs as (

    select * from {{ ref('int_criterion_inputs__records_dossiers') }} where {{ rebuilt_rows() }}
    union all
    select * from {{ ref('int_criterion_inputs__records_catalogue') }} where {{ rebuilt_rows() }}
    union all
    select * from {{ ref('int_criterion_inputs__records_decisions') }} where {{ rebuilt_rows() }}
    union all
    select * from {{ ref('int_criterion_inputs__records_petitions') }} where {{ rebuilt_rows() }}

),

units as (

    select * from {{ ref('int_units') }}
    -- the units feed's units: one that only the published evaluation knows has no records
    where unit_source = 'units_feed'

),

criteria as (

    select * from {{ ref('rule_criteria') }}
    where is_active
        and scoring_kind <> 'not_measured'

),

final as (

    select
        inputs.unit_id,
        inputs.period_type,
        inputs.period_start,
        inputs.criterion_code,
        inputs.numerator,
        inputs.denominator,
        inputs.input_source

    from inputs
    inner join units
        on units.unit_id = inputs.unit_id
    inner join criteria
        on criteria.criterion_code = inputs.criterion_code
        and coalesce(criteria.effective_from, date '0001-01-01') <= inputs.period_start
        and (criteria.effective_to is null or criteria.effective_to >= inputs.period_start)
        and list_contains(string_split(lower(criteria.unit_types), '|'), lower(units.unit_type))

)

select * from final
