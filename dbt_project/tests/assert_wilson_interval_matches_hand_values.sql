-- The Wilson 95% interval (macro wilson_bound) against hand-computed values (z = 1.959964):
-- 3 of 4 → [0.3006, 0.9544]; 0 of 10 → [0, z²/(10 + z²) = 0.2775]; 10 of 10 → [10/(10 + z²) = 0.7225, 1];
-- 0 of 0 and 5 of 3 (not a proportion) → null. A row here is a failure.
with

cases as (

    select * from (values
        (3.0, 4.0, 0.3006, 0.9544),
        (0.0, 10.0, 0.0, 0.2775),
        (10.0, 10.0, 0.7225, 1.0),
        (0.0, 0.0, null, null),
        (5.0, 3.0, null, null)
    ) as t (numerator, denominator, expected_low, expected_high)

),

computed as (

    select
        *,
        {{ wilson_bound('numerator', 'denominator', var('ratio_interval_z'), -1) }} as low,
        {{ wilson_bound('numerator', 'denominator', var('ratio_interval_z'), 1) }} as high
    from cases

)

select * from computed
where (expected_low is null) <> (low is null)
    or (expected_high is null) <> (high is null)
    or abs(low - expected_low) > 0.00005
    or abs(high - expected_high) > 0.00005
