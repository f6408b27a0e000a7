{#-
    Why a unit's total moved (vì sao điểm thay đổi): per unit, period and criterion of the period's ranked source
    (macros/ranked_sources.sql), the change of points from the
    previous period of the same type, with the same previous value as rpt_rankings (recomputed from the
    predecessors' records across a reorganisation, previous_basis 'predecessors'). The criteria's changes sum to
    the change of the total exactly, since a total is the sum of its criteria's rounded points.

    Each criterion's change is split between its numerator and its denominator by the symmetric (Shapley)
    decomposition of the rule's points f(n, d) (macro criterion_points, the scoring model's own formula):

        numerator_effect   = round(½ [f(n1, d0) - f(n0, d0) + f(n1, d1) - f(n0, d1)], 2)
        denominator_effect = points_change - numerator_effect

    so the two parts sum to the change to the cent. When the change cannot come from the inputs (a criterion
    not measured or not applicable on either side, or scored under another rule version), both parts are 0 and
    the change is other_effect (state or rule change).
-#}

with

ranked_sources as (

    {{ ranked_sources() }}

),

criterion_values as (

    select criterion_values.* from {{ ref('fct_criterion_values') }} as criterion_values
    inner join ranked_sources
        on {{ of_ranked_source('criterion_values') }}
    {#- the rebuilt periods, and the period before each: its values are the previous ones #}
    where {{ period_is_rebuilt_or_before('criterion_values.period_type', 'criterion_values.period_start') }}

),

rules as (

    select * from {{ ref('dim_criteria') }}

),

current_values as (

    select
        *,
        case period_type
            when 'month' then cast(period_start - interval 1 month as date)
            when 'quarter' then cast(period_start - interval 3 month as date)
            else cast(period_start - interval 1 year as date)
        end as previous_period_start
    from criterion_values
    where input_source <> 'records_comparable'
        and {{ rebuilt_rows() }}

),

{#- Per unit and period: which source its previous value comes from (the comparable one when it exists). -#}
previous_sources as (

    select
        current_units.period_type,
        current_units.period_start,
        current_units.unit_id,
        current_units.previous_period_start,
        min(previous.input_source) filter (where previous.input_source = 'records_comparable') as comparable_source,
        min(previous.input_source) filter (where previous.input_source <> 'records_comparable') as own_source

    from (select distinct period_type, period_start, unit_id, previous_period_start from current_values) as current_units
    inner join criterion_values as previous
        on previous.period_type = current_units.period_type
        and previous.period_start = current_units.previous_period_start
        and previous.unit_id = current_units.unit_id
    group by all

),

previous_values as (

    select
        previous_sources.period_type,
        previous_sources.period_start,
        previous_sources.unit_id,
        previous_sources.previous_period_start,
        previous.input_source,
        previous.criterion_code,
        previous.group_code,
        previous.rule_version,
        previous.numerator,
        previous.denominator,
        previous.points,
        previous.value_state

    from previous_sources
    inner join criterion_values as previous
        on previous.period_type = previous_sources.period_type
        and previous.period_start = previous_sources.previous_period_start
        and previous.unit_id = previous_sources.unit_id
        and previous.input_source = coalesce(previous_sources.comparable_source, previous_sources.own_source)

),

paired as (

    select
        coalesce(current_values.period_type, previous_values.period_type) as period_type,
        coalesce(current_values.period_start, previous_values.period_start) as period_start,
        coalesce(current_values.previous_period_start, previous_values.previous_period_start)
            as previous_period_start,
        coalesce(current_values.unit_id, previous_values.unit_id) as unit_id,
        coalesce(current_values.criterion_code, previous_values.criterion_code) as criterion_code,
        coalesce(current_values.group_code, previous_values.group_code) as group_code,
        case previous_values.input_source
            when 'records_comparable' then 'predecessors'
            else 'same_unit'
        end as previous_basis,
        current_values.rule_version,
        previous_values.rule_version as previous_rule_version,
        current_values.numerator as n1,
        current_values.denominator as d1,
        previous_values.numerator as n0,
        previous_values.denominator as d0,
        current_values.value_state,
        previous_values.value_state as previous_value_state,
        coalesce(current_values.points, 0) as points,
        coalesce(previous_values.points, 0) as previous_points

    from current_values
    inner join (select distinct period_type, period_start, unit_id from previous_values) as has_previous
        on has_previous.period_type = current_values.period_type
        and has_previous.period_start = current_values.period_start
        and has_previous.unit_id = current_values.unit_id
    full outer join previous_values
        on previous_values.period_type = current_values.period_type
        and previous_values.period_start = current_values.period_start
        and previous_values.unit_id = current_values.unit_id
        and previous_values.criterion_code = current_values.criterion_code

),

split as (

    select
        paired.*,
        paired.points - paired.previous_points as points_change,
        coalesce(
            paired.rule_version = paired.previous_rule_version
            and paired.value_state in ('scored', 'no_data', 'inherited')
            and paired.previous_value_state in ('scored', 'no_data', 'inherited')
            and paired.n1 is not null and paired.d1 is not null
            and paired.n0 is not null and paired.d0 is not null,
            false
        ) as is_input_change,
        0.5 * (
            {{ criterion_points('paired.n1', 'paired.d0', 'rules.max_points', 'rules.scoring_kind', 'rules.target_ratio', 'rules.zero_denominator_rule') }}
            - {{ criterion_points('paired.n0', 'paired.d0', 'rules.max_points', 'rules.scoring_kind', 'rules.target_ratio', 'rules.zero_denominator_rule') }}
            + {{ criterion_points('paired.n1', 'paired.d1', 'rules.max_points', 'rules.scoring_kind', 'rules.target_ratio', 'rules.zero_denominator_rule') }}
            - {{ criterion_points('paired.n0', 'paired.d1', 'rules.max_points', 'rules.scoring_kind', 'rules.target_ratio', 'rules.zero_denominator_rule') }}
        ) as raw_numerator_effect

    from paired
    left join rules
        on rules.rule_version = paired.rule_version
        and rules.criterion_code = paired.criterion_code

),

final as (

    select
        cast(period_type as varchar) as period_type,
        cast(period_start as date) as period_start,
        cast(previous_period_start as date) as previous_period_start,
        cast(unit_id as varchar) as unit_id,
        cast(criterion_code as varchar) as criterion_code,
        cast(group_code as varchar) as group_code,
        cast(previous_basis as varchar) as previous_basis,
        cast(n1 as double) as numerator,
        cast(d1 as double) as denominator,
        cast(n0 as double) as previous_numerator,
        cast(d0 as double) as previous_denominator,
        cast(value_state as varchar) as value_state,
        cast(previous_value_state as varchar) as previous_value_state,
        cast(points as decimal(6, 2)) as points,
        cast(previous_points as decimal(6, 2)) as previous_points,
        cast(points_change as decimal(6, 2)) as points_change,
        cast(case when is_input_change then {{ rounded_points('raw_numerator_effect') }} else 0 end as decimal(6, 2))
            as numerator_effect,
        cast(
            case when is_input_change then points_change - {{ rounded_points('raw_numerator_effect') }} else 0 end
            as decimal(6, 2)
        ) as denominator_effect,
        cast(case when is_input_change then 0 else points_change end as decimal(6, 2)) as other_effect

    from split
    where {{ rebuilt_rows() }}

)

select * from final
