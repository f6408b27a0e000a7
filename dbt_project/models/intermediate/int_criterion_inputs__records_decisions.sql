{#-
    Criterion inputs from publication decisions, for the ministry or province that issued them (CoQuanBanHanh,
    or its successor when it ended); these criteria are computed at ministry/province level only.

    - PUBLISH_ON_TIME: distinct procedures in the issuer's decisions dated in P; a procedure is on time when
      every decision of P that carries it is dated on or before the legal basis's effective date moved back by
      rule parameter ministry_lead_wd / province_lead_wd working days.
    - PUBLIC_UPDATE_ON_TIME: (decision, procedure) items of the issuer's decisions of P and of the
      decision_lookback_months before it. Denominator: items made public in P, plus items still not public
      whose deadline (decision date + ministry_wd / province_wd working days) fell in P up to the evaluation
      day; numerator: items made public in P on or before their deadline.
-#}

with

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ period_is_rebuilt_or_before() }}

),

{#- An issuer counts for the unit itself (depth 0); in the comparable series, for the unit it passed to. -#}
scope as (

    select * from ({{ unit_scopes() }})
    where depth = 0

),

attribution as (

    select * from {{ ref('int_unit_record_attribution') }}
    where {{ period_is_rebuilt_or_before() }}

),

units as (

    select * from {{ ref('int_units') }}
    -- the units feed's units: one that only the published evaluation knows has no records
    where unit_source = 'units_feed'

),

parameters as (

    select
        criterion_code,
        parameter,
        max(cast(value as double)) as value

    from {{ ref('rule_parameters') }}
    where criterion_code in ('PUBLISH_ON_TIME', 'PUBLIC_UPDATE_ON_TIME')
        and rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)
    group by all

),

lead_days as (

    select
        max(value) filter (where parameter = 'ministry_lead_wd') as ministry_lead_wd,
        max(value) filter (where parameter = 'province_lead_wd') as province_lead_wd,
        max(value) filter (where parameter = 'ministry_wd') as ministry_wd,
        max(value) filter (where parameter = 'province_wd') as province_wd,
        max(value) filter (where parameter = 'decision_lookback_months') as decision_lookback_months

    from parameters

),

decisions as (

    select
        periods.period_type,
        periods.period_start,
        periods.period_start_at,
        periods.evaluated_at,
        decisions.period as source_period,
        decisions.publication_decision_id,
        decisions.decision_date,
        decisions.issuing_unit_id

    from periods
    cross join lead_days
    inner join {{ ref('stg_portal__publication_decisions') }} as decisions
        on decisions.period >= strftime(
            periods.period_start - to_months(cast(lead_days.decision_lookback_months as integer)), '%Y-%m'
        )
        and decisions.period <= strftime(periods.evaluated_at, '%Y-%m')
    where decisions.decision_date is not null
    qualify row_number() over (
        partition by periods.period_type, periods.period_start, decisions.publication_decision_id
        order by decisions.period desc
    ) = 1

),

items as (

    select distinct on (decisions.period_type, decisions.period_start, decisions.publication_decision_id, items.procedure_id)
        decisions.period_type,
        decisions.period_start,
        decisions.period_start_at,
        decisions.evaluated_at,
        decisions.publication_decision_id,
        decisions.decision_date,
        attribution.unit_id as issuer_unit_id,
        lower(units.unit_type) as issuer_unit_type,
        items.procedure_id,
        items.legal_basis_effective_date,
        case when items.made_public_at <= decisions.evaluated_at then items.made_public_at end as made_public_at

    from decisions
    inner join {{ ref('stg_portal__publication_decision_procedures') }} as items
        on items.period = decisions.source_period
        and items.publication_decision_id = decisions.publication_decision_id
    inner join attribution
        on attribution.period_type = decisions.period_type
        and attribution.period_start = decisions.period_start
        and attribution.source_unit_id = decisions.issuing_unit_id
    inner join units
        on units.unit_id = attribution.unit_id
    where items.legal_basis_effective_date is not null
        and regexp_full_match(items.procedure_id, '[123]\.[0-9]{6}')
        and decisions.decision_date <= cast(decisions.evaluated_at as date)
        and lower(units.unit_type) in ('ministry', 'province')
    order by
        decisions.period_type,
        decisions.period_start,
        decisions.publication_decision_id,
        items.procedure_id,
        items.procedure_sequence desc

),

judged_items as (

    select
        items.*,
        items.decision_date <= {{ add_working_days(
            'items.legal_basis_effective_date',
            '-cast(case when items.issuer_unit_type = \'ministry\' then lead_days.ministry_lead_wd else lead_days.province_lead_wd end as integer)'
        ) }} as is_published_on_time,
        {{ add_working_days(
            'items.decision_date',
            'cast(case when items.issuer_unit_type = \'ministry\' then lead_days.ministry_wd else lead_days.province_wd end as integer)'
        ) }} as public_update_deadline

    from items
    cross join lead_days
    cross join {{ working_day_calendar() }}

),

item_flags as (

    select
        *,
        decision_date >= period_start as is_decided_in_period,
        made_public_at is not null and made_public_at >= period_start_at as is_made_public_in_period,
        is_made_public_in_period
            or (
                made_public_at is null
                and public_update_deadline >= period_start
                and public_update_deadline <= cast(evaluated_at as date)
            ) as is_public_update_due,
        is_made_public_in_period and cast(made_public_at as date) <= public_update_deadline
            as is_public_update_on_time

    from judged_items

),

published_procedures as (

    select
        period_type,
        period_start,
        issuer_unit_id,
        procedure_id,
        bool_and(is_published_on_time) as is_published_on_time

    from item_flags
    where is_decided_in_period
    group by all

),

publish_counts as (

    select
        period_type,
        period_start,
        input_source,
        unit_id,
        count(*) filter (where is_published_on_time) as published_on_time,
        count(*) as published

    from (
        select
            scope.period_type,
            scope.period_start,
            scope.input_source,
            scope.ancestor_unit_id as unit_id,
            published_procedures.procedure_id,
            bool_and(published_procedures.is_published_on_time) as is_published_on_time
        from published_procedures
        inner join scope
            on scope.period_type = published_procedures.period_type
            and scope.period_start = published_procedures.period_start
            and scope.descendant_unit_id = published_procedures.issuer_unit_id
        group by all
    )
    group by all

),

update_counts as (

    select
        scope.period_type,
        scope.period_start,
        scope.input_source,
        scope.ancestor_unit_id as unit_id,
        count(*) filter (where item_flags.is_public_update_on_time) as updated_on_time,
        count(*) filter (where item_flags.is_public_update_due) as update_due

    from item_flags
    inner join scope
        on scope.period_type = item_flags.period_type
        and scope.period_start = item_flags.period_start
        and scope.descendant_unit_id = item_flags.issuer_unit_id
    group by all

),

units_in_force as (

    select distinct period_type, period_start, input_source, ancestor_unit_id as unit_id
    from scope

),

unpivoted as (

    select
        units_in_force.period_type,
        units_in_force.period_start,
        units_in_force.input_source,
        units_in_force.unit_id,
        unnest([
            {
                'criterion_code': 'PUBLISH_ON_TIME',
                'numerator': coalesce(publish_counts.published_on_time, 0),
                'denominator': coalesce(publish_counts.published, 0)
            },
            {
                'criterion_code': 'PUBLIC_UPDATE_ON_TIME',
                'numerator': coalesce(update_counts.updated_on_time, 0),
                'denominator': coalesce(update_counts.update_due, 0)
            }
        ]) as criterion

    from units_in_force
    left join publish_counts
        on publish_counts.period_type = units_in_force.period_type
        and publish_counts.period_start = units_in_force.period_start
        and publish_counts.input_source = units_in_force.input_source
        and publish_counts.unit_id = units_in_force.unit_id
    left join update_counts
        on update_counts.period_type = units_in_force.period_type
        and update_counts.period_start = units_in_force.period_start
        and update_counts.input_source = units_in_force.input_source
        and update_counts.unit_id = units_in_force.unit_id

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
