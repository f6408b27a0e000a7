{#-
    Criterion inputs from dossiers (and the report counts of DOSSIER_SYNC): one row per unit in force in the
    period and criterion, counted over the dossiers of the unit and all its descendants (int_unit_scope).
    "Received in P" is NgayTiepNhan in P (by the evaluation time). Sets follow the simulator's readings
    (orchestration/portal/simulator/evaluation.py):

    - DOSSIER_SYNC: received in P and synced / max(reported count of P's months, received in P); when both are
      0, the previous calendar year's reported total / rule parameter fallback_<period_type>_divisor. Reported
      counts: for each unit and month, the latest extraction up to the period's last month.
    - DOSSIER_ON_TIME: on time or open within deadline / received in P or open at its start
      (int_dossier_facts.is_in_on_time_set).
    - AVG_PROCESSING_DAYS: working days net of supplements summed / dossiers of that set ended in P with a
      terminal status.
    - ONLINE_DOSSIER_SUBMISSION: received online (channel 2) and, for a paper-result procedure, with an
      electronic result / received.
    - ONLINE_PAYMENT_DOSSIERS: paid online (national portal or local gateway, with a fee list) / received, of a
      fee-bearing procedure, with a fee list not all zero.
    - ORIGINAL_RESULT_AVAILABLE: with an electronic result file / processed (9 or 10) in P, of a paper-result
      procedure.
    - SO_HOA_GIAY_TO_GIAI_QUYET: every component digitised and, for a paper result, an electronic result /
      received.
    - REUSED_DIGITIZED_DATA, SYNCED_WITH_DVCQG_PERSONAL_STORAGE, CITIZEN_DATA_CONNECTED_DOSSIER: a component
      reused / taken from the personal data store / applicant verified with VNeID or data from the population
      database (CSDLQGDC) / received.
    - DOSSIER_RECEIVING_SATISFACTION: max(0, set - late - set dossiers with a dissatisfied rating given in P) /
      the DOSSIER_ON_TIME set (the feeds do not link petitions to dossiers).
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

parameters as (

    select
        parameter,
        max(cast(value as double)) as value

    from {{ ref('rule_parameters') }}
    where criterion_code = 'DOSSIER_SYNC'
        and rule_version in (select rule_version from {{ ref('rule_criteria') }} where is_active)
    group by all

),

dossier_flags as (

    select * from {{ ref('int_dossier_facts') }}
    where {{ period_is_rebuilt_or_before() }}

),

unit_counts as (

    select
        period_type,
        period_start,
        unit_id,
        count(*) filter (where is_received_in_period) as received,
        count(*) filter (where is_received_in_period and is_synced) as synced,
        count(*) filter (where is_in_on_time_set) as on_time_set,
        count(*) filter (where is_in_on_time_set and is_on_time) as on_time,
        count(*) filter (where is_terminal_end_in_period) as ended,
        coalesce(sum(net_processing_working_days) filter (where is_terminal_end_in_period), 0) as ended_days,
        count(*) filter (where is_in_on_time_set and has_dissatisfied_rating) as dissatisfied,
        count(*) filter (
            where is_received_in_period and is_online and (not has_paper_result or has_electronic_result)
        ) as online_received,
        count(*) filter (where is_received_in_period and has_fee and not is_fee_all_zero) as fee_received,
        count(*) filter (
            where is_received_in_period and has_fee and not is_fee_all_zero and is_paid_online
        ) as fee_paid_online,
        count(*) filter (where is_processed_in_period and has_paper_result) as paper_processed,
        count(*) filter (
            where is_processed_in_period and has_paper_result and has_electronic_result
        ) as paper_processed_electronic,
        count(*) filter (
            where is_received_in_period and is_all_digitized and (not has_paper_result or has_electronic_result)
        ) as digitized,
        count(*) filter (where is_received_in_period and has_reused_component) as reused,
        count(*) filter (where is_received_in_period and has_personal_store_component) as personal_store,
        count(*) filter (where is_received_in_period and is_citizen_data_connected) as citizen_data_connected

    from dossier_flags
    group by all

),

report_counts_latest as (

    select
        periods.period_type,
        periods.period_start,
        report_counts.unit_id as source_unit_id,
        report_counts.report_month_start,
        arg_max(report_counts.received_dossier_count, report_counts.period) as received_dossier_count

    from periods
    inner join {{ ref('stg_portal__report_counts') }} as report_counts
        on report_counts.period <= periods.last_month
        {#- only the report months counted below, the period's and the previous calendar year's: the feeds of
            every month keep 12 months each, which would otherwise grow with history #}
        and report_counts.report_month_start >= cast(date_trunc('year', periods.period_start) - interval 1 year as date)
        and report_counts.report_month_start < periods.period_end
    group by all

),

report_unit_counts as (

    select
        report_counts_latest.period_type,
        report_counts_latest.period_start,
        attribution.unit_id,
        coalesce(sum(report_counts_latest.received_dossier_count) filter (
            where report_counts_latest.report_month_start >= periods.period_start
                and report_counts_latest.report_month_start < periods.period_end
        ), 0) as reported,
        coalesce(sum(report_counts_latest.received_dossier_count) filter (
            where year(report_counts_latest.report_month_start) = year(periods.period_start) - 1
        ), 0) as reported_previous_year

    from report_counts_latest
    inner join periods
        on periods.period_type = report_counts_latest.period_type
        and periods.period_start = report_counts_latest.period_start
    inner join attribution
        on attribution.period_type = report_counts_latest.period_type
        and attribution.period_start = report_counts_latest.period_start
        and attribution.source_unit_id = report_counts_latest.source_unit_id
    group by all

),

rolled_up as (

    select
        scope.period_type,
        scope.period_start,
        scope.input_source,
        scope.ancestor_unit_id as unit_id,
        coalesce(sum(unit_counts.received), 0) as received,
        coalesce(sum(unit_counts.synced), 0) as synced,
        coalesce(sum(unit_counts.on_time_set), 0) as on_time_set,
        coalesce(sum(unit_counts.on_time), 0) as on_time,
        coalesce(sum(unit_counts.ended), 0) as ended,
        coalesce(sum(unit_counts.ended_days), 0) as ended_days,
        coalesce(sum(unit_counts.dissatisfied), 0) as dissatisfied,
        coalesce(sum(unit_counts.online_received), 0) as online_received,
        coalesce(sum(unit_counts.fee_received), 0) as fee_received,
        coalesce(sum(unit_counts.fee_paid_online), 0) as fee_paid_online,
        coalesce(sum(unit_counts.paper_processed), 0) as paper_processed,
        coalesce(sum(unit_counts.paper_processed_electronic), 0) as paper_processed_electronic,
        coalesce(sum(unit_counts.digitized), 0) as digitized,
        coalesce(sum(unit_counts.reused), 0) as reused,
        coalesce(sum(unit_counts.personal_store), 0) as personal_store,
        coalesce(sum(unit_counts.citizen_data_connected), 0) as citizen_data_connected,
        coalesce(sum(report_unit_counts.reported), 0) as reported,
        coalesce(sum(report_unit_counts.reported_previous_year), 0) as reported_previous_year

    from scope
    left join unit_counts
        on unit_counts.period_type = scope.period_type
        and unit_counts.period_start = scope.period_start
        and unit_counts.unit_id = scope.descendant_unit_id
    left join report_unit_counts
        on report_unit_counts.period_type = scope.period_type
        and report_unit_counts.period_start = scope.period_start
        and report_unit_counts.unit_id = scope.descendant_unit_id
    group by all

),

with_sync_denominator as (

    select
        rolled_up.*,
        case
            when greatest(rolled_up.reported, rolled_up.received) > 0
                then greatest(rolled_up.reported, rolled_up.received)
            else rolled_up.reported_previous_year / divisors.value
        end as sync_denominator

    from rolled_up
    left join parameters as divisors
        on divisors.parameter = 'fallback_' || rolled_up.period_type || '_divisor'

),

unpivoted as (

    select
        period_type,
        period_start,
        input_source,
        unit_id,
        unnest([
            {'criterion_code': 'DOSSIER_SYNC', 'numerator': synced, 'denominator': sync_denominator},
            {'criterion_code': 'DOSSIER_ON_TIME', 'numerator': on_time, 'denominator': on_time_set},
            {'criterion_code': 'AVG_PROCESSING_DAYS', 'numerator': ended_days, 'denominator': ended},
            {'criterion_code': 'ONLINE_DOSSIER_SUBMISSION', 'numerator': online_received, 'denominator': received},
            {'criterion_code': 'ONLINE_PAYMENT_DOSSIERS', 'numerator': fee_paid_online, 'denominator': fee_received},
            {
                'criterion_code': 'ORIGINAL_RESULT_AVAILABLE',
                'numerator': paper_processed_electronic,
                'denominator': paper_processed
            },
            {'criterion_code': 'SO_HOA_GIAY_TO_GIAI_QUYET', 'numerator': digitized, 'denominator': received},
            {'criterion_code': 'REUSED_DIGITIZED_DATA', 'numerator': reused, 'denominator': received},
            {
                'criterion_code': 'SYNCED_WITH_DVCQG_PERSONAL_STORAGE',
                'numerator': personal_store,
                'denominator': received
            },
            {
                'criterion_code': 'CITIZEN_DATA_CONNECTED_DOSSIER',
                'numerator': citizen_data_connected,
                'denominator': received
            },
            {
                'criterion_code': 'DOSSIER_RECEIVING_SATISFACTION',
                'numerator': greatest(on_time - dissatisfied, 0),
                'denominator': on_time_set
            }
        ]) as criterion

    from with_sync_denominator

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
