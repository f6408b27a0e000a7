{#-
    Criterion inputs from petitions (phản ánh, kiến nghị): the latest version among the period's months of
    each petition sent by the evaluation time, counted for its unit (or its successor) and all its ancestors.

    On time: refused within rule parameter refuse_wd working days of the last transfer (else of receipt, else
    of sending), or handled within handle_wd working days of the last transfer (else of sending); one still
    open is judged at the evaluation day against the handling deadline (dates compared, not times). The
    request_info_wd and publish_wd deadlines are not measurable from the feed and not applied.

    - PETITION_PROCESSING_ON_TIME: on time / petitions within the unit's competence not ended before P.
    - PETITION_HANDLING_SATISFACTION: petitions received in P that are not repeats (no MaPAKNGoc), less those
      with more dislikes than likes, handled late, or repeated by a later petition / petitions received in P
      that are not repeats.
    - PETITION_CLASSIFICATION_TTHC, PETITION_CLASSIFICATION_STAFF: petitions received in P about procedures /
      about staff, over petitions received in P (tracking only).
-#}

with

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ period_is_rebuilt_or_before() }}

),

scope as (

    select * from ({{ unit_scopes() }})

),

attribution as (

    select * from {{ ref('int_unit_record_attribution') }}
    where {{ period_is_rebuilt_or_before() }}

),

deadline_days as (

    select
        max(cast(value as integer)) filter (where parameter = 'refuse_wd') as refuse_wd,
        max(cast(value as integer)) filter (where parameter = 'handle_wd') as handle_wd

    from {{ ref('rule_parameters') }}
    where criterion_code = 'PETITION_PROCESSING_ON_TIME'
        and rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)

),

petition_versions as (

    select
        periods.period_type,
        periods.period_start,
        periods.period_start_at,
        periods.evaluated_at,
        petitions.*

    from periods
    inner join {{ ref('stg_portal__petitions') }} as petitions
        on petitions.period between periods.first_month and periods.last_month
    where petitions.sent_at is not null
        and {{ rebuilt_months_filter('petitions.period', before=true) }}
        and petitions.sent_at <= periods.evaluated_at
    qualify row_number() over (
        partition by periods.period_type, periods.period_start, petitions.petition_id
        order by petitions.period desc
    ) = 1

),

{#- A petition repeated by a later one (by any unit) is a dissatisfied follow-up. -#}
repeated_petitions as (

    select distinct
        period_type,
        period_start,
        original_petition_id as petition_id

    from petition_versions
    where original_petition_id is not null

),

petitions as (

    select
        petition_versions.period_type,
        petition_versions.period_start,
        petition_versions.period_start_at,
        petition_versions.evaluated_at,
        petition_versions.petition_id,
        attribution.unit_id,
        petition_versions.classification,
        coalesce(petition_versions.is_within_competence, false) as is_within_competence,
        petition_versions.sent_at,
        petition_versions.received_at,
        petition_versions.original_petition_id,
        coalesce(petition_versions.like_count, 0) as like_count,
        coalesce(petition_versions.dislike_count, 0) as dislike_count,
        repeated_petitions.petition_id is not null as is_repeated,
        case
            when petition_versions.refused_at <= petition_versions.evaluated_at then petition_versions.refused_at
        end as refused_at,
        case
            when petition_versions.handled_at <= petition_versions.evaluated_at then petition_versions.handled_at
        end as handled_at,
        case
            when petition_versions.last_transferred_at <= petition_versions.evaluated_at
                then petition_versions.last_transferred_at
        end as last_transferred_at

    from petition_versions
    inner join attribution
        on attribution.period_type = petition_versions.period_type
        and attribution.period_start = petition_versions.period_start
        and attribution.source_unit_id = petition_versions.unit_id
    left join repeated_petitions
        on repeated_petitions.period_type = petition_versions.period_type
        and repeated_petitions.period_start = petition_versions.period_start
        and repeated_petitions.petition_id = petition_versions.petition_id

),

deadlines as (

    select
        petitions.*,
        {{ add_working_days(
            'coalesce(petitions.last_transferred_at, petitions.received_at, petitions.sent_at)',
            'deadline_days.refuse_wd'
        ) }} as refuse_deadline,
        {{ add_working_days(
            'coalesce(petitions.last_transferred_at, petitions.sent_at)',
            'deadline_days.handle_wd'
        ) }} as handle_deadline

    from petitions
    cross join deadline_days
    cross join {{ working_day_calendar() }}

),

judged as (

    select
        *,
        case
            when refused_at is not null then cast(refused_at as date) <= refuse_deadline
            when handled_at is not null then cast(handled_at as date) <= handle_deadline
            else cast(evaluated_at as date) <= handle_deadline
        end as is_on_time,
        least(refused_at, handled_at) as ended_at,
        received_at is not null
            and received_at >= period_start_at
            and received_at <= evaluated_at as is_received_in_period

    from deadlines

),

unit_counts as (

    select
        period_type,
        period_start,
        unit_id,
        count(*) filter (
            where is_within_competence and (ended_at is null or ended_at >= period_start_at)
        ) as in_competence,
        count(*) filter (
            where is_within_competence and (ended_at is null or ended_at >= period_start_at) and is_on_time
        ) as in_competence_on_time,
        count(*) filter (where is_received_in_period and original_petition_id is null) as first_received,
        count(*) filter (
            where is_received_in_period
                and original_petition_id is null
                and not (dislike_count > like_count or not is_on_time or is_repeated)
        ) as first_received_satisfied,
        count(*) filter (where is_received_in_period) as received,
        count(*) filter (where is_received_in_period and classification = 'procedure') as about_procedures,
        count(*) filter (where is_received_in_period and classification = 'staff') as about_staff

    from judged
    group by all

),

rolled_up as (

    select
        scope.period_type,
        scope.period_start,
        scope.input_source,
        scope.ancestor_unit_id as unit_id,
        coalesce(sum(unit_counts.in_competence), 0) as in_competence,
        coalesce(sum(unit_counts.in_competence_on_time), 0) as in_competence_on_time,
        coalesce(sum(unit_counts.first_received), 0) as first_received,
        coalesce(sum(unit_counts.first_received_satisfied), 0) as first_received_satisfied,
        coalesce(sum(unit_counts.received), 0) as received,
        coalesce(sum(unit_counts.about_procedures), 0) as about_procedures,
        coalesce(sum(unit_counts.about_staff), 0) as about_staff

    from scope
    left join unit_counts
        on unit_counts.period_type = scope.period_type
        and unit_counts.period_start = scope.period_start
        and unit_counts.unit_id = scope.descendant_unit_id
    group by all

),

unpivoted as (

    select
        period_type,
        period_start,
        input_source,
        unit_id,
        unnest([
            {
                'criterion_code': 'PETITION_PROCESSING_ON_TIME',
                'numerator': in_competence_on_time,
                'denominator': in_competence
            },
            {
                'criterion_code': 'PETITION_HANDLING_SATISFACTION',
                'numerator': first_received_satisfied,
                'denominator': first_received
            },
            {'criterion_code': 'PETITION_CLASSIFICATION_TTHC', 'numerator': about_procedures, 'denominator': received},
            {'criterion_code': 'PETITION_CLASSIFICATION_STAFF', 'numerator': about_staff, 'denominator': received}
        ]) as criterion

    from rolled_up

),

final as (

    select
        unit_id,
        period_type,
        period_start,
        input_source,
        criterion.criterion_code as criterion_code,
        cast(criterion.numerator as double) as numerator,
        cast(criterion.denominator as double) as denominator

    from unpivoted
    where {{ rebuilt_rows() }}

)

select * from final
