{#-
    THE scoring model: the rule table (seed rule_criteria) applied to criterion inputs from every source.
    For each source and period, the units scored are those with inputs of that source and period, plus every
    descendant of theirs in force in the period (so that a commune shows the values it inherits). Each of them gets
    every criterion of the rules in force on the period's first day:

    - computed for the unit's type: points from its own numerator and denominator (linear, target, tracking),
      the zero-denominator rule, or the not-measured rule when the source carries no numerator and no denominator
      (or the rule does not measure the criterion);
    - not computed for the type but inherited: the value of the nearest ancestor that computes it;
    - otherwise `not_applicable`, 0 points.

    Points are rounded half-up to 2 decimals: the double product is first fixed at 10 decimals (as a decimal),
    which removes binary representation error (2.675 is stored as 2.67499999999999982...), then rounded as a
    decimal, which DuckDB rounds half away from zero (points are never negative). The simulator does the same with
    floor(100 x + 0.5 + 1e-9) / 100.
-#}

with

{# The inputs of the rows this build recomputes, and those from records of the period before a rebuilt one: a
    comparable unit there inherits from its ancestors' values from records. -#}
inputs as (

    select * from {{ ref('int_criterion_inputs') }}
    where {{ rebuilt_rows() }}
        or (input_source = 'records' and {{ period_is_rebuilt_or_before() }})

),

periods as (

    select * from {{ ref('int_periods') }}

),

units as (

    select * from {{ ref('int_units') }}

),

closure as (

    select * from {{ ref('int_unit_closure') }}

),

rules as (

    select * from {{ ref('rule_criteria') }}
    where is_active

),

input_units as (

    select distinct
        input_source,
        period_type,
        period_start,
        unit_id
    from inputs

),

source_periods as (

    select distinct
        input_source,
        period_type,
        period_start
    from input_units

),

{#- Units with inputs (known or not: the portal's national roots are not in the units feed) and their descendants
    in force in the period (valid_from before its end, valid_to on or after its start) that the units feed knows. -#}
scored_units as (

    select
        input_source,
        period_type,
        period_start,
        unit_id
    from input_units

    union

    select
        input_units.input_source,
        input_units.period_type,
        input_units.period_start,
        closure.descendant_unit_id as unit_id
    from input_units
    inner join closure
        on closure.ancestor_unit_id = input_units.unit_id
        and closure.depth > 0
    inner join units as descendant
        on descendant.unit_id = closure.descendant_unit_id
    left join periods
        on periods.period_type = input_units.period_type
        and periods.period_start = input_units.period_start
    where (descendant.valid_from is null or periods.period_end is null or descendant.valid_from < periods.period_end)
        and (descendant.valid_to is null or descendant.valid_to >= input_units.period_start)
        {# the comparable series covers exactly the units of the next period structure it has inputs for #}
        and input_units.input_source <> 'records_comparable'
        {# a unit only the evaluation knows has no dates in force: it is scored where the portal publishes it #}
        and descendant.unit_source = 'units_feed'

),

{#- The rule of each criterion in force on the period's first day (effective_to inclusive). -#}
period_rules as (

    select
        source_periods.input_source,
        source_periods.period_type,
        source_periods.period_start,
        rules.rule_version,
        rules.criterion_code,
        rules.group_code,
        rules.max_points,
        rules.scoring_kind,
        rules.target_ratio,
        rules.zero_denominator_rule,
        rules.not_measured_rule,
        rules.unit_types,
        rules.is_inherited
    from source_periods
    inner join rules
        on rules.effective_from <= source_periods.period_start
        and (rules.effective_to is null or rules.effective_to >= source_periods.period_start)

),

grid as (

    select
        scored_units.unit_id,
        period_rules.*,
        units.unit_type is null
            or ('|' || lower(period_rules.unit_types) || '|') like ('%|' || lower(units.unit_type) || '|%')
            as is_computed
    from scored_units
    inner join period_rules
        on period_rules.input_source = scored_units.input_source
        and period_rules.period_type = scored_units.period_type
        and period_rules.period_start = scored_units.period_start
    left join units
        on units.unit_id = scored_units.unit_id

),

with_inputs as (

    select
        grid.*,
        inputs.numerator,
        inputs.denominator,
        grid.scoring_kind = 'not_measured'
            or (inputs.numerator is null and inputs.denominator is null) as is_not_measured,
        coalesce(inputs.denominator, 0) = 0 as is_zero_denominator
    from grid
    left join inputs
        on inputs.input_source = grid.input_source
        and inputs.period_type = grid.period_type
        and inputs.period_start = grid.period_start
        and inputs.unit_id = grid.unit_id
        and inputs.criterion_code = grid.criterion_code

),

own_values as (

    select
        unit_id,
        input_source,
        period_type,
        period_start,
        criterion_code,
        group_code,
        rule_version,
        max_points,
        is_computed,
        is_inherited,
        case when not is_not_measured then numerator end as numerator,
        case when not is_not_measured then denominator end as denominator,
        case
            when is_not_measured then null
            when not is_zero_denominator then numerator / denominator
            when zero_denominator_rule = 'zero' then 0.0
        end as ratio,
        case
            when is_not_measured then
                case when not_measured_rule = 'full' then cast(max_points as double) else 0.0 end
            else {{ criterion_points(
                'numerator', 'denominator', 'max_points', 'scoring_kind', 'target_ratio', 'zero_denominator_rule'
            ) }}
        end as raw_points,
        case
            when is_not_measured then 'not_measured'
            when is_zero_denominator and zero_denominator_rule = 'not_scored' then 'no_data'
            else 'scored'
        end as value_state
    from with_inputs

),

{#- For an inheriting unit: the nearest ancestor in the same source and period that computes the criterion. -#}
inheritance as (

    select
        heir.input_source,
        heir.period_type,
        heir.period_start,
        heir.unit_id,
        heir.criterion_code,
        ancestor.numerator,
        ancestor.denominator,
        ancestor.ratio,
        ancestor.raw_points,
        row_number() over (
            partition by heir.input_source, heir.period_type, heir.period_start, heir.unit_id, heir.criterion_code
            order by closure.depth, (ancestor.input_source = heir.input_source) desc
        ) as nearness
    from own_values as heir
    inner join closure
        on closure.descendant_unit_id = heir.unit_id
        and closure.depth > 0
    inner join own_values as ancestor
        on ancestor.unit_id = closure.ancestor_unit_id
        and (
            ancestor.input_source = heir.input_source
            {# a comparable unit inherits from an ancestor whose scope did not change: its published value #}
            or (heir.input_source = 'records_comparable' and ancestor.input_source = 'records')
        )
        and ancestor.period_type = heir.period_type
        and ancestor.period_start = heir.period_start
        and ancestor.criterion_code = heir.criterion_code
        and ancestor.is_computed
    where not heir.is_computed
        and heir.is_inherited

),

resolved as (

    select
        own_values.unit_id,
        own_values.period_type,
        own_values.period_start,
        own_values.criterion_code,
        own_values.group_code,
        own_values.rule_version,
        case when own_values.is_computed then own_values.numerator else inheritance.numerator end as numerator,
        case when own_values.is_computed then own_values.denominator else inheritance.denominator end as denominator,
        case when own_values.is_computed then own_values.ratio else inheritance.ratio end as ratio,
        case
            when own_values.is_computed then own_values.raw_points
            when own_values.is_inherited then coalesce(inheritance.raw_points, 0.0)
            else 0.0
        end as raw_points,
        own_values.max_points,
        case
            when own_values.is_computed then own_values.value_state
            when not own_values.is_inherited then 'not_applicable'
            when inheritance.unit_id is not null then 'inherited'
            else 'no_data'
        end as value_state,
        own_values.input_source
    from own_values
    left join inheritance
        on inheritance.input_source = own_values.input_source
        and inheritance.period_type = own_values.period_type
        and inheritance.period_start = own_values.period_start
        and inheritance.unit_id = own_values.unit_id
        and inheritance.criterion_code = own_values.criterion_code
        and inheritance.nearness = 1

),

{#- Wilson score interval of a proportion (numerator of denominator records), z from var ratio_interval_z. -#}
with_intervals as (

    select
        resolved.*,
        case when proportions.is_proportion then
            {{ wilson_bound('resolved.numerator', 'resolved.denominator', var('ratio_interval_z'), -1) }}
        end as ratio_ci_low,
        case when proportions.is_proportion then
            {{ wilson_bound('resolved.numerator', 'resolved.denominator', var('ratio_interval_z'), 1) }}
        end as ratio_ci_high
    from resolved
    {# a tracking criterion (average processing days) is a mean, not a proportion #}
    left join (
        select rule_version, criterion_code, scoring_kind <> 'tracking' as is_proportion from rules
    ) as proportions
        on proportions.rule_version = resolved.rule_version
        and proportions.criterion_code = resolved.criterion_code

),

final as (

    select
        cast(unit_id as varchar) as unit_id,
        cast(period_type as varchar) as period_type,
        cast(period_start as date) as period_start,
        cast(criterion_code as varchar) as criterion_code,
        cast(group_code as varchar) as group_code,
        cast(rule_version as varchar) as rule_version,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(ratio as double) as ratio,
        cast(ratio_ci_low as double) as ratio_ci_low,
        cast(ratio_ci_high as double) as ratio_ci_high,
        {{ rounded_points('raw_points') }} as points,
        cast(max_points as decimal(6, 2)) as max_points,
        cast(value_state as varchar) as value_state,
        cast(input_source as varchar) as input_source
    from with_intervals
    where {{ rebuilt_rows() }}

)

select * from final
