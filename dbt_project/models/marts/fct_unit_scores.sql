{#-
    Per unit, period and input source: the six group points (sums of the criteria's rounded points), the total
    (sum of the groups) and the band (xếp loại) of the rule_bands version in force: among the rule versions the
    period's criteria use, the latest (by effective_from) that has bands of its own.
-#}

with

{# Every source's values of the rebuilt periods and of the period before each (the band version of a period
    depends on all its rows). -#}
criterion_values as (

    select * from {{ ref('fct_criterion_values') }}
    where {{ period_is_rebuilt_or_before() }}

),

rule_criteria as (

    select * from {{ ref('rule_criteria') }}

),

bands as (

    select * from {{ ref('rule_bands') }}

),

version_starts as (

    select
        rule_version,
        max(effective_from) as effective_from
    from rule_criteria
    group by rule_version

),

period_band_versions as (

    select
        used.period_type,
        used.period_start,
        used.rule_version,
        row_number() over (
            partition by used.period_type, used.period_start
            order by version_starts.effective_from desc, used.rule_version desc
        ) as recency
    from (select distinct period_type, period_start, rule_version from criterion_values) as used
    inner join version_starts
        on version_starts.rule_version = used.rule_version
    where used.rule_version in (select rule_version from bands)

),

group_points as (

    select
        unit_id,
        period_type,
        period_start,
        input_source,
        {% for group_code in ['CKMB', 'TDGQ', 'CLGQ', 'TTTT', 'MDSH', 'MDHL'] -%}
        coalesce(sum(case when group_code = '{{ group_code }}' then points end), 0) as {{ group_code | lower }}_points,
        {% endfor -%}
        sum(points) as total_points
    from criterion_values
    where {{ rebuilt_rows() }}
    group by unit_id, period_type, period_start, input_source

),

final as (

    select
        cast(group_points.unit_id as varchar) as unit_id,
        cast(group_points.period_type as varchar) as period_type,
        cast(group_points.period_start as date) as period_start,
        cast(group_points.input_source as varchar) as input_source,
        {% for group_code in ['ckmb', 'tdgq', 'clgq', 'tttt', 'mdsh', 'mdhl'] -%}
        cast(group_points.{{ group_code }}_points as decimal(6, 2)) as {{ group_code }}_points,
        {% endfor -%}
        cast(group_points.total_points as decimal(6, 2)) as total_points,
        cast(bands.band_code as varchar) as band_code
    from group_points
    left join period_band_versions
        on period_band_versions.period_type = group_points.period_type
        and period_band_versions.period_start = group_points.period_start
        and period_band_versions.recency = 1
    left join bands
        on bands.rule_version = period_band_versions.rule_version
        and group_points.total_points >= bands.min_total
        and (bands.max_total is null or group_points.total_points < bands.max_total)

)

select * from final
