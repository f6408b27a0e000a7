{#-
    Unrounded points of a measured criterion from its numerator and denominator under its rule (rule_criteria
    columns passed by name): the zero-denominator rule when the denominator is 0 or null, nothing for tracking
    criteria, max × ratio / target capped at max for `target`, max × ratio for `linear`. The one formula of the
    method: fct_criterion_values scores with it, rpt_score_changes re-evaluates it to split a change between
    numerator and denominator.
-#}
{% macro criterion_points(numerator, denominator, max_points, scoring_kind, target_ratio, zero_denominator_rule) %}
    case
        when coalesce({{ denominator }}, 0) = 0 then
            case when {{ zero_denominator_rule }} = 'full' then cast({{ max_points }} as double) else 0.0 end
        when {{ scoring_kind }} = 'tracking' then 0.0
        when {{ scoring_kind }} = 'target' then
            least(
                cast({{ max_points }} as double),
                cast({{ max_points }} as double) * {{ numerator }} / {{ denominator }} / {{ target_ratio }}
            )
        else cast({{ max_points }} as double) * {{ numerator }} / {{ denominator }}
    end
{% endmacro %}

{#- Points rounded half-up to 2 decimals (see fct_criterion_values for why through decimal(38, 10)). -#}
{% macro rounded_points(raw_points) %}
    cast(round(cast({{ raw_points }} as decimal(38, 10)), 2) as decimal(6, 2))
{% endmacro %}
