{#-
    One bound of the Wilson score interval of a proportion: numerator successes among denominator records,
    z the normal quantile (1.959964 for 95%), sign -1 for the lower bound and +1 for the upper one. Null where the
    ratio is not a proportion of records (no denominator, numerator outside [0, denominator]), e.g. the average
    processing days. The denominator need not be an integer (the sync criterion's fallback is a reported total
    divided by 12): the formula only needs n > 0.

        centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) × sqrt(p(1 - p)/n + z²/4n²)
-#}
{% macro wilson_bound(numerator, denominator, z, sign) %}
    case
        when {{ denominator }} > 0 and {{ numerator }} >= 0 and {{ numerator }} <= {{ denominator }} then
            greatest(0.0, least(1.0,
                (
                    {{ numerator }} / {{ denominator }} + ({{ z }}) * ({{ z }}) / (2 * {{ denominator }})
                    + ({{ sign }}) * ({{ z }}) * sqrt(
                        ({{ numerator }} / {{ denominator }}) * (1 - {{ numerator }} / {{ denominator }})
                            / {{ denominator }}
                        + ({{ z }}) * ({{ z }}) / (4 * {{ denominator }} * {{ denominator }})
                    )
                ) / (1 + ({{ z }}) * ({{ z }}) / {{ denominator }})
            ))
    end
{% endmacro %}
