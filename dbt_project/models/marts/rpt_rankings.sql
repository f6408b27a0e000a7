{#-
    The ranking (bảng xếp hạng): per period and unit scored from its period's ranked source (records; the
    published evaluation's own numerators and denominators in a run from it alone, macros/ranked_sources.sql), its rank within its peer group
    (rule_peer_groups) by total points, highest first: competition rank (1, 2, 2, 4) and dense rank (1, 2, 2, 3),
    tied units listed by name. A unit with no dossier received in the period and none open at its start is not
    ranked (chưa xếp hạng).

    The previous period is the one before of the same type (previous month, quarter, year). Its value for the
    unit is, when the unit's scope changed in between (a province merged on 1/7/2025, a ministry that absorbed
    another on 1/3/2025, a new commune), recomputed from the records of its predecessors (input source
    records_comparable, previous_basis 'predecessors'); otherwise the unit's own published value ('same_unit').
    The previous rank is the rank of that value among the previous values of the unit's current peers: the
    published rank when the peer group did not change, the comparable one across a reorganisation. The published
    ranking of a past period never changes: it is computed from its own records and structure only.

    Flags: low volume (a criterion the unit is scored on whose denominator is under the rule table's
    min_denominator), provisional (records extracted within var provisional_within_days of the period's end),
    restated (fct_unit_score_revisions holds another total for the same unit and period from an earlier
    extraction). Ministries and provinces carry a 90% bootstrap rank interval (rpt_rank_intervals); a rank move
    is significant only when the previous rank lies outside it.
-#}

with

ranked_sources as (

    {{ ranked_sources() }}

),

scores as (

    select scores.* from {{ ref('fct_unit_scores') }} as scores
    inner join ranked_sources
        on {{ of_ranked_source('scores') }}
    {#- the rebuilt periods, and the period before each: its values are the previous ones #}
    where {{ period_is_rebuilt_or_before('scores.period_type', 'scores.period_start') }}

),

units as (

    select * from {{ ref('int_units') }}

),

peers as (

    select * from {{ ref('int_unit_peer_groups') }}

),

volumes as (

    select * from {{ ref('int_unit_dossier_volumes') }}
    where {{ period_is_rebuilt_or_before() }}

),

periods as (

    select * from {{ ref('int_period_evaluation_times') }}

),

intervals as (

    select * from {{ ref('rpt_rank_intervals') }}
    where {{ rebuilt_rows() }}

),

revisions as (

    select * from {{ ref('fct_unit_score_revisions') }}
    where {{ rebuilt_rows() }}

),

criterion_values as (

    select criterion_values.* from {{ ref('fct_criterion_values') }} as criterion_values
    inner join ranked_sources
        on {{ of_ranked_source('criterion_values') }}
    where criterion_values.input_source <> 'records_comparable'
        and {{ rebuilt_rows('criterion_values.') }}

),

rules as (

    select * from {{ ref('dim_criteria') }}

),

current_scores as (

    select
        scores.period_type,
        scores.period_start,
        case scores.period_type
            when 'month' then cast(scores.period_start - interval 1 month as date)
            when 'quarter' then cast(scores.period_start - interval 3 month as date)
            else cast(scores.period_start - interval 1 year as date)
        end as previous_period_start,
        scores.unit_id,
        units.unit_name,
        peers.unit_type,
        peers.peer_group,
        peers.peer_group_unit_id,
        scores.total_points,
        scores.band_code,
        coalesce(volumes.dossiers_received, 0) as dossiers_received,
        coalesce(volumes.dossiers_handled, 0) > 0 as is_ranked

    from scores
    inner join peers
        on peers.unit_id = scores.unit_id
    left join units
        on units.unit_id = scores.unit_id
    left join volumes
        on volumes.period_type = scores.period_type
        and volumes.period_start = scores.period_start
        and volumes.input_source = scores.input_source
        and volumes.unit_id = scores.unit_id
    where scores.input_source <> 'records_comparable'
        and {{ rebuilt_rows('scores.') }}

),

{#- The unit's previous value: recomputed from its predecessors when its scope changed, else its own. -#}
previous_scores as (

    select
        current_scores.period_type,
        current_scores.period_start,
        current_scores.unit_id,
        arg_min(
            {
                'total_points': previous.total_points,
                'input_source': previous.input_source,
                'is_ranked': coalesce(previous_volumes.dossiers_handled, 0) > 0
            },
            case previous.input_source when 'records_comparable' then 0 else 1 end
        ) as previous

    from current_scores
    inner join scores as previous
        on previous.period_type = current_scores.period_type
        and previous.period_start = current_scores.previous_period_start
        and previous.unit_id = current_scores.unit_id
    left join volumes as previous_volumes
        on previous_volumes.period_type = previous.period_type
        and previous_volumes.period_start = previous.period_start
        and previous_volumes.input_source = previous.input_source
        and previous_volumes.unit_id = previous.unit_id
    group by all

),

with_previous as (

    select
        current_scores.*,
        previous_scores.previous.total_points as previous_total_points,
        case previous_scores.previous.input_source
            when 'records_comparable' then 'predecessors'
            when 'records' then 'same_unit'
            when 'portal_published' then 'same_unit'
        end as previous_basis,
        coalesce(previous_scores.previous.is_ranked, false) as was_ranked

    from current_scores
    left join previous_scores
        on previous_scores.period_type = current_scores.period_type
        and previous_scores.period_start = current_scores.period_start
        and previous_scores.unit_id = current_scores.unit_id

),

ranked as (

    select
        *,
        case when is_ranked then rank() over (
            partition by period_type, period_start, peer_group, peer_group_unit_id, is_ranked
            order by total_points desc
        ) end as competition_rank,
        case when is_ranked then dense_rank() over (
            partition by period_type, period_start, peer_group, peer_group_unit_id, is_ranked
            order by total_points desc
        ) end as dense_rank,
        row_number() over (
            partition by period_type, period_start, peer_group, peer_group_unit_id
            order by is_ranked desc, total_points desc, unit_name, unit_id
        ) as listing_order,
        count(*) filter (where is_ranked) over (
            partition by period_type, period_start, peer_group, peer_group_unit_id
        ) as peer_group_size,
        case when was_ranked and previous_total_points is not null then rank() over (
            partition by
                period_type, period_start, peer_group, peer_group_unit_id,
                was_ranked and previous_total_points is not null
            order by previous_total_points desc
        ) end as previous_competition_rank

    from with_previous

),

low_volume as (

    select
        criterion_values.unit_id,
        criterion_values.period_type,
        criterion_values.period_start,
        string_agg(criterion_values.criterion_code, '|' order by criterion_values.criterion_code)
            as low_volume_criteria

    from criterion_values
    inner join rules
        on rules.rule_version = criterion_values.rule_version
        and rules.criterion_code = criterion_values.criterion_code
    where criterion_values.value_state in ('scored', 'no_data')
        and criterion_values.max_points > 0
        and rules.min_denominator is not null
        and coalesce(criterion_values.denominator, 0) < rules.min_denominator
    group by all

),

restated as (

    select
        unit_id,
        period_type,
        period_start,
        count(distinct total_points) > 1 as is_restated

    from revisions
    group by all

),

final as (

    select
        cast(ranked.period_type as varchar) as period_type,
        cast(ranked.period_start as date) as period_start,
        cast(ranked.unit_id as varchar) as unit_id,
        cast(ranked.unit_name as varchar) as unit_name,
        cast(ranked.unit_type as varchar) as unit_type,
        cast(ranked.peer_group as varchar) as peer_group,
        cast(ranked.peer_group_unit_id as varchar) as peer_group_unit_id,
        cast(ranked.peer_group_size as integer) as peer_group_size,
        cast(ranked.total_points as decimal(6, 2)) as total_points,
        cast(ranked.band_code as varchar) as band_code,
        cast(ranked.is_ranked as boolean) as is_ranked,
        cast(ranked.competition_rank as integer) as competition_rank,
        cast(ranked.dense_rank as integer) as dense_rank,
        cast(ranked.listing_order as integer) as listing_order,
        cast(ranked.dossiers_received as bigint) as dossiers_received,
        cast(ranked.previous_period_start as date) as previous_period_start,
        cast(ranked.previous_total_points as decimal(6, 2)) as previous_total_points,
        cast(ranked.previous_competition_rank as integer) as previous_competition_rank,
        cast(ranked.previous_basis as varchar) as previous_basis,
        cast(ranked.total_points - ranked.previous_total_points as decimal(6, 2)) as points_change,
        cast(ranked.previous_competition_rank - ranked.competition_rank as integer) as rank_change,
        cast(intervals.rank_interval_low as integer) as rank_interval_low,
        cast(intervals.rank_interval_high as integer) as rank_interval_high,
        cast(
            case
                when ranked.competition_rank is null
                    or ranked.previous_competition_rank is null
                    or intervals.rank_interval_low is null
                    then false
                else ranked.previous_competition_rank < intervals.rank_interval_low
                    or ranked.previous_competition_rank > intervals.rank_interval_high
            end as boolean
        ) as is_rank_change_significant,
        cast(low_volume.unit_id is not null as boolean) as is_low_volume,
        cast(low_volume.low_volume_criteria as varchar) as low_volume_criteria,
        cast(
            periods.source_extracted_at is null
            or periods.source_extracted_at
                < cast(periods.period_end as timestamp) + to_days({{ var('provisional_within_days') }})
            as boolean
        ) as is_provisional,
        cast(coalesce(restated.is_restated, false) as boolean) as is_restated

    from ranked
    left join intervals
        on intervals.period_type = ranked.period_type
        and intervals.period_start = ranked.period_start
        and intervals.unit_id = ranked.unit_id
    left join low_volume
        on low_volume.period_type = ranked.period_type
        and low_volume.period_start = ranked.period_start
        and low_volume.unit_id = ranked.unit_id
    left join periods
        on periods.period_type = ranked.period_type
        and periods.period_start = ranked.period_start
    left join restated
        on restated.period_type = ranked.period_type
        and restated.period_start = ranked.period_start
        and restated.unit_id = ranked.unit_id

)

select * from final
