{#-
    Criterion inputs from the procedure catalogue: distinct procedures (MaTTHC) over the unit and all its
    descendants in force. Each unit's catalogue is its latest extraction up to the evaluation month, looking
    back at most rule parameter catalogue_lookback_months before the period (so a unit that ended during the
    period keeps the catalogue of its last month). A flag holds for a procedure when it holds on any row of the
    subtree; the online level is the highest one. Dossier facts (an online dossier, an online-paid dossier, a
    citizen-data-connected dossier received in P) come from the dossiers counted for the subtree.

    - ONLINE_SERVICE_PROVIDED: procedures offered online (partial or full) / procedures.
    - ONLINE_SERVICE_WITH_DOSSIERS: online procedures with an online dossier received in P / online procedures.
    - ONLINE_PAYMENT_FORMALITIES: fee-bearing procedures with an online-paid dossier in P / fee-bearing ones.
    - PAYMENT_INTEGRATED_FORMALITIES: fee-bearing procedures integrated with the national payment platform /
      fee-bearing ones.
    - CITIZEN_DATA_CONNECTED_FORMALITY: citizen-facing procedures (applicant types of the rule table's
      citizen_applicant_types) with a citizen-data-connected dossier in P / citizen-facing ones.
    - PUBLIC_CONTENT_FULL: public procedures (statuses of public_publication_statuses) with all seven elements /
      public ones.
-#}

with

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ period_is_rebuilt_or_before() }}

),

scope as (

    select * from ({{ unit_scopes() }})

),

dossier_flags as (

    select * from {{ ref('int_dossier_facts') }}
    where {{ period_is_rebuilt_or_before() }}

),

lookback as (

    select max(cast(value as integer)) as months
    from {{ ref('rule_parameters') }}
    where parameter = 'catalogue_lookback_months'
        and rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)

),

code_sets as (

    {{ rule_code_sets(['citizen_applicant_types', 'public_publication_statuses']) }}

),

{#- The units in force in the period: their own catalogues are the rows counted (also in the period before a
    rebuilt one, whose comparable rows count them). -#}
units_in_force as (

    select distinct period_type, period_start, ancestor_unit_id as unit_id
    from {{ ref('int_unit_scope') }}
    where {{ period_is_rebuilt_or_before() }}

),

{#- The units scored, per input source. -#}
scored_units as (

    select distinct period_type, period_start, input_source, ancestor_unit_id as unit_id
    from scope

),

catalogue_rows as (

    select
        periods.period_type,
        periods.period_start,
        procedures.unit_id,
        procedures.procedure_id,
        procedures.period as catalogue_month,
        case procedures.online_service_level when 'full' then 2 when 'partial' then 1 else 0 end
            as online_level,
        coalesce(list_contains(code_sets.public_publication_statuses, procedures.publication_status), false)
            as is_public,
        coalesce(procedures.has_complete_public_content, false) as has_complete_public_content,
        coalesce(procedures.has_integrated_payment, false) as has_integrated_payment,
        coalesce(procedures.has_fee, false) as has_fee,
        coalesce(
            list_has_any(procedures.applicant_types, code_sets.citizen_applicant_types),
            false
        ) as is_citizen_facing

    from periods
    cross join lookback
    cross join code_sets
    inner join {{ ref('stg_portal__procedures') }} as procedures
        on procedures.period >= strftime(periods.period_start - to_months(lookback.months), '%Y-%m')
        and procedures.period <= strftime(periods.evaluated_at, '%Y-%m')
    inner join units_in_force
        on units_in_force.period_type = periods.period_type
        and units_in_force.period_start = periods.period_start
        and units_in_force.unit_id = procedures.unit_id
    qualify catalogue_month = max(catalogue_month) over (
        partition by periods.period_type, periods.period_start, procedures.unit_id
    )

),

catalogue_by_ancestor as (

    select
        scope.period_type,
        scope.period_start,
        scope.input_source,
        scope.ancestor_unit_id as unit_id,
        catalogue_rows.procedure_id,
        max(catalogue_rows.online_level) as online_level,
        bool_or(catalogue_rows.is_public) as is_public,
        bool_or(catalogue_rows.is_public and catalogue_rows.has_complete_public_content) as is_public_full,
        bool_or(catalogue_rows.has_integrated_payment) as has_integrated_payment,
        bool_or(catalogue_rows.has_fee) as has_fee,
        bool_or(catalogue_rows.is_citizen_facing) as is_citizen_facing

    from scope
    inner join catalogue_rows
        on catalogue_rows.period_type = scope.period_type
        and catalogue_rows.period_start = scope.period_start
        and catalogue_rows.unit_id = scope.descendant_unit_id
    group by all

),

dossiers_by_ancestor as (

    select
        scope.period_type,
        scope.period_start,
        scope.input_source,
        scope.ancestor_unit_id as unit_id,
        dossier_flags.procedure_id,
        bool_or(dossier_flags.is_received_in_period and dossier_flags.is_online) as has_online_dossier,
        bool_or(
            dossier_flags.is_received_in_period
            and dossier_flags.has_fee
            and not dossier_flags.is_fee_all_zero
            and dossier_flags.is_paid_online
        ) as has_paid_online_dossier,
        bool_or(dossier_flags.is_received_in_period and dossier_flags.is_citizen_data_connected)
            as has_citizen_data_connected_dossier

    from scope
    inner join dossier_flags
        on dossier_flags.period_type = scope.period_type
        and dossier_flags.period_start = scope.period_start
        and dossier_flags.unit_id = scope.descendant_unit_id
    group by all

),

procedure_facts as (

    select
        catalogue_by_ancestor.*,
        coalesce(dossiers_by_ancestor.has_online_dossier, false) as has_online_dossier,
        coalesce(dossiers_by_ancestor.has_paid_online_dossier, false) as has_paid_online_dossier,
        coalesce(dossiers_by_ancestor.has_citizen_data_connected_dossier, false)
            as has_citizen_data_connected_dossier

    from catalogue_by_ancestor
    left join dossiers_by_ancestor
        on dossiers_by_ancestor.period_type = catalogue_by_ancestor.period_type
        and dossiers_by_ancestor.period_start = catalogue_by_ancestor.period_start
        and dossiers_by_ancestor.input_source = catalogue_by_ancestor.input_source
        and dossiers_by_ancestor.unit_id = catalogue_by_ancestor.unit_id
        and dossiers_by_ancestor.procedure_id = catalogue_by_ancestor.procedure_id

),

unit_counts as (

    select
        scored_units.period_type,
        scored_units.period_start,
        scored_units.input_source,
        scored_units.unit_id,
        count(procedure_facts.procedure_id) as procedures,
        count(*) filter (where procedure_facts.online_level >= 1) as online,
        count(*) filter (where procedure_facts.online_level >= 1 and procedure_facts.has_online_dossier)
            as online_with_dossiers,
        count(*) filter (where procedure_facts.has_fee) as fee_bearing,
        count(*) filter (where procedure_facts.has_fee and procedure_facts.has_paid_online_dossier)
            as fee_paid_online,
        count(*) filter (where procedure_facts.has_fee and procedure_facts.has_integrated_payment)
            as fee_integrated,
        count(*) filter (where procedure_facts.is_citizen_facing) as citizen_facing,
        count(*) filter (
            where procedure_facts.is_citizen_facing and procedure_facts.has_citizen_data_connected_dossier
        ) as citizen_facing_connected,
        count(*) filter (where procedure_facts.is_public) as public,
        count(*) filter (where procedure_facts.is_public_full) as public_full

    from scored_units
    left join procedure_facts
        on procedure_facts.period_type = scored_units.period_type
        and procedure_facts.period_start = scored_units.period_start
        and procedure_facts.input_source = scored_units.input_source
        and procedure_facts.unit_id = scored_units.unit_id
    group by all

),

unpivoted as (

    select
        period_type,
        period_start,
        input_source,
        unit_id,
        unnest([
            {'criterion_code': 'ONLINE_SERVICE_PROVIDED', 'numerator': online, 'denominator': procedures},
            {
                'criterion_code': 'ONLINE_SERVICE_WITH_DOSSIERS',
                'numerator': online_with_dossiers,
                'denominator': online
            },
            {'criterion_code': 'ONLINE_PAYMENT_FORMALITIES', 'numerator': fee_paid_online, 'denominator': fee_bearing},
            {
                'criterion_code': 'PAYMENT_INTEGRATED_FORMALITIES',
                'numerator': fee_integrated,
                'denominator': fee_bearing
            },
            {
                'criterion_code': 'CITIZEN_DATA_CONNECTED_FORMALITY',
                'numerator': citizen_facing_connected,
                'denominator': citizen_facing
            },
            {'criterion_code': 'PUBLIC_CONTENT_FULL', 'numerator': public_full, 'denominator': public}
        ]) as criterion

    from unit_counts

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
