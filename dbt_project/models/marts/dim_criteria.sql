-- One row per criterion and rule version: the rule table (seed rule_criteria) as analysts query it.

with

rule_criteria as (

    select * from {{ ref('rule_criteria') }}

),

final as (

    select
        cast(rule_version as varchar) as rule_version,
        cast(criterion_code as varchar) as criterion_code,
        cast(group_code as varchar) as group_code,
        cast(name_vi as varchar) as name_vi,
        cast(max_points as decimal(6, 2)) as max_points,
        cast(scoring_kind as varchar) as scoring_kind,
        cast(target_ratio as double) as target_ratio,
        cast(zero_denominator_rule as varchar) as zero_denominator_rule,
        cast(not_measured_rule as varchar) as not_measured_rule,
        cast(unit_types as varchar) as unit_types,
        cast(is_inherited as boolean) as is_inherited,
        cast(min_denominator as integer) as min_denominator,
        cast(effective_from as date) as effective_from,
        cast(effective_to as date) as effective_to,
        cast(status as varchar) as status,
        cast(is_active as boolean) as is_active
    from rule_criteria

)

select * from final
