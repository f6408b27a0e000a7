{#-
    One row per dossier and period: the dossier's outcome judged for the period (METHODOLOGY.md, "How a
    dossier's outcome is decided", with the readings of orchestration/portal/simulator/evaluation.py).

    - The dossier is the latest version among the period's months (a dossier extracted in June and July is read
      from July's extraction for the quarter), received by the evaluation time, of a procedure in the catalogue,
      and counted for its unit, or its successor when the unit ended (int_unit_record_attribution).
    - Everything after evaluated_at (the period's end, or the extraction time of the running period) has not
      happened yet.
    - End: the first time of status processed (9), else result returned (10), else the earlier of stopped (8)
      and refused (3), else withdrawn (7); from the status history, or, when the history has no terminal
      status, from NgayTuChoi / NgayKetThucXuLy / NgayTra. Without a terminal status: two or more supplement
      requests none completed -> overdue, ended at the last request; otherwise an open request ends it at the
      earliest open request.
    - Supplement time: the working days between each completed request and its completion (completed by the
      end) move the due date forward by as many working days, time of day kept.
    - On time: end (or evaluated_at while open) <= the moved due date; without a due date, working days from
      the receipt date to the end date, net of supplement time, <= the procedure's statutory time limit.
-#}

with

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ rebuilt_rows() }}

),

attribution as (

    select * from {{ ref('int_unit_record_attribution') }}
    where {{ period_is_rebuilt() }}

),

dossier_versions as (

    select
        periods.period_type,
        periods.period_start,
        periods.period_start_at,
        periods.evaluated_at,
        dossiers.period as source_period,
        dossiers.dossier_id,
        dossiers.procedure_id,
        dossiers.unit_id as source_unit_id,
        dossiers.channel,
        dossiers.status,
        dossiers.received_at,
        dossiers.due_at,
        dossiers.processing_ended_at,
        dossiers.returned_at,
        dossiers.refused_at

    from periods
    inner join {{ ref('stg_portal__dossiers') }} as dossiers
        on dossiers.period between periods.first_month and periods.last_month
    where {{ rebuilt_months_filter('dossiers.period') }}
    qualify row_number() over (
        partition by periods.period_type, periods.period_start, dossiers.dossier_id
        order by dossiers.period desc
    ) = 1

),

{#- The procedure's attributes from its latest catalogue month up to the period's last month. -#}
procedure_attributes as (

    select
        periods.period_type,
        periods.period_start,
        procedures.procedure_id,
        arg_max(procedures.time_limit_working_days, procedures.period) as time_limit_working_days,
        arg_max(procedures.has_paper_result, procedures.period) as has_paper_result,
        arg_max(procedures.has_fee, procedures.period) as has_fee

    from periods
    inner join {{ ref('stg_portal__procedures') }} as procedures
        on procedures.period <= periods.last_month
    group by all

),

status_times as (

    select
        period as source_period,
        dossier_id,
        min(changed_at) filter (where status = 'processed') as processed_at,
        min(changed_at) filter (where status = 'result_returned') as result_returned_at,
        min(changed_at) filter (where status = 'stopped') as stopped_at,
        min(changed_at) filter (where status = 'not_received') as refused_at,
        min(changed_at) filter (where status = 'withdrawn') as withdrawn_at

    from {{ ref('stg_portal__dossier_status_history') }}
    where changed_at is not null
        and {{ rebuilt_months_filter('period') }}
    group by all

),

dossiers as (

    select
        dossier_versions.period_type,
        dossier_versions.period_start,
        dossier_versions.period_start_at,
        dossier_versions.evaluated_at,
        dossier_versions.source_period,
        dossier_versions.dossier_id,
        dossier_versions.procedure_id,
        dossier_versions.source_unit_id,
        attribution.unit_id,
        dossier_versions.channel,
        dossier_versions.received_at,
        dossier_versions.due_at,
        procedure_attributes.time_limit_working_days,
        procedure_attributes.has_paper_result,
        procedure_attributes.has_fee,
        status_times.dossier_id is not null
            and coalesce(
                status_times.processed_at,
                status_times.result_returned_at,
                status_times.stopped_at,
                status_times.refused_at,
                status_times.withdrawn_at
            ) is not null as has_terminal_history,
        case
            when has_terminal_history then status_times.processed_at
            when dossier_versions.status is distinct from 'stopped' then dossier_versions.processing_ended_at
        end as processed_at,
        case
            when has_terminal_history then status_times.result_returned_at
            else dossier_versions.returned_at
        end as result_returned_at,
        case
            when has_terminal_history then status_times.stopped_at
            when dossier_versions.status = 'stopped' then dossier_versions.processing_ended_at
        end as stopped_at,
        case
            when has_terminal_history then status_times.refused_at
            else dossier_versions.refused_at
        end as refused_at,
        case when has_terminal_history then status_times.withdrawn_at end as withdrawn_at

    from dossier_versions
    inner join attribution
        on attribution.period_type = dossier_versions.period_type
        and attribution.period_start = dossier_versions.period_start
        and attribution.source_unit_id = dossier_versions.source_unit_id
    inner join procedure_attributes
        on procedure_attributes.period_type = dossier_versions.period_type
        and procedure_attributes.period_start = dossier_versions.period_start
        and procedure_attributes.procedure_id = dossier_versions.procedure_id
    left join status_times
        on status_times.source_period = dossier_versions.source_period
        and status_times.dossier_id = dossier_versions.dossier_id
    where dossier_versions.received_at is not null
        and dossier_versions.received_at <= dossier_versions.evaluated_at

),

{#- Events after the evaluation time have not happened yet. -#}
terminal_events as (

    select
        *,
        case when processed_at <= evaluated_at then processed_at end as processed_by_eval_at,
        case when result_returned_at <= evaluated_at then result_returned_at end as returned_by_eval_at,
        least(
            case when stopped_at <= evaluated_at then stopped_at end,
            case when refused_at <= evaluated_at then refused_at end
        ) as stopped_or_refused_by_eval_at,
        case when withdrawn_at <= evaluated_at then withdrawn_at end as withdrawn_by_eval_at

    from dossiers

),

supplements as (

    select
        dossiers.period_type,
        dossiers.period_start,
        dossiers.dossier_id,
        supplements.requested_at,
        case when supplements.completed_at <= dossiers.evaluated_at then supplements.completed_at end as completed_at

    from dossiers
    inner join {{ ref('stg_portal__dossier_supplements') }} as supplements
        on supplements.period = dossiers.source_period
        and supplements.dossier_id = dossiers.dossier_id
    where supplements.requested_at is not null
        and supplements.requested_at <= dossiers.evaluated_at
        and {{ rebuilt_months_filter('supplements.period') }}

),

supplement_spans as (

    select
        supplements.*,
        case
            when supplements.completed_at is not null
                then {{ working_days_between('supplements.requested_at', 'supplements.completed_at') }}
            else 0
        end as supplement_working_days

    from supplements
    cross join {{ working_day_calendar() }}

),

supplement_summary as (

    select
        period_type,
        period_start,
        dossier_id,
        count(*) as supplement_request_count,
        count(completed_at) as completed_supplement_request_count,
        min(requested_at) filter (where completed_at is null) as first_open_requested_at,
        max(requested_at) as last_requested_at

    from supplement_spans
    group by all

),

ends as (

    select
        terminal_events.*,
        coalesce(
            processed_by_eval_at, returned_by_eval_at, stopped_or_refused_by_eval_at, withdrawn_by_eval_at
        ) as terminal_end_at,
        coalesce(processed_by_eval_at, returned_by_eval_at) as processed_end_at,
        coalesce(supplement_summary.supplement_request_count, 0) as supplement_request_count,
        coalesce(supplement_summary.completed_supplement_request_count, 0) as completed_supplement_request_count,
        terminal_end_at is null
            and coalesce(supplement_summary.supplement_request_count, 0) >= 2
            and coalesce(supplement_summary.completed_supplement_request_count, 0) = 0
            as is_forced_overdue,
        case
            when terminal_end_at is not null then terminal_end_at
            when is_forced_overdue then supplement_summary.last_requested_at
            else supplement_summary.first_open_requested_at
        end as end_at

    from terminal_events
    left join supplement_summary
        on supplement_summary.period_type = terminal_events.period_type
        and supplement_summary.period_start = terminal_events.period_start
        and supplement_summary.dossier_id = terminal_events.dossier_id

),

{#- Only supplement time completed by the end (or by the evaluation time while open) counts. -#}
pauses as (

    select
        ends.period_type,
        ends.period_start,
        ends.dossier_id,
        coalesce(sum(supplement_spans.supplement_working_days), 0) as supplement_working_days

    from ends
    inner join supplement_spans
        on supplement_spans.period_type = ends.period_type
        and supplement_spans.period_start = ends.period_start
        and supplement_spans.dossier_id = ends.dossier_id
    where supplement_spans.completed_at is not null
        and supplement_spans.completed_at <= coalesce(ends.end_at, ends.evaluated_at)
    group by all

),

judged as (

    select
        ends.*,
        coalesce(pauses.supplement_working_days, 0) as supplement_working_days,
        coalesce(ends.end_at, ends.evaluated_at) as judged_at,
        case
            when coalesce(pauses.supplement_working_days, 0) > 0
                then {{ add_working_days_keep_time('ends.due_at', 'pauses.supplement_working_days') }}
            else ends.due_at
        end as moved_due_at,
        {{ working_days_between('ends.received_at', 'coalesce(ends.end_at, ends.evaluated_at)') }}
            - coalesce(pauses.supplement_working_days, 0) as net_processing_working_days

    from ends
    left join pauses
        on pauses.period_type = ends.period_type
        and pauses.period_start = ends.period_start
        and pauses.dossier_id = ends.dossier_id
    cross join {{ working_day_calendar() }}

),

final as (

    select
        period_type,
        period_start,
        dossier_id,
        source_period,
        unit_id,
        source_unit_id,
        procedure_id,
        channel,
        has_paper_result,
        has_fee,
        received_at,
        due_at,
        time_limit_working_days,
        end_at,
        processed_end_at,
        terminal_end_at is not null as is_terminal,
        supplement_request_count,
        completed_supplement_request_count,
        supplement_working_days,
        moved_due_at,
        net_processing_working_days,
        is_forced_overdue,
        not is_forced_overdue
            and case
                when due_at is not null then judged_at <= moved_due_at
                else net_processing_working_days <= coalesce(time_limit_working_days, 0)
            end as is_on_time,
        received_at >= period_start_at as is_received_in_period,
        received_at >= period_start_at or end_at is null or end_at >= period_start_at as is_in_on_time_set,
        end_at is not null and end_at >= period_start_at as is_ended_in_period,
        case
            when end_at is null and is_on_time then 'open_within_deadline'
            when end_at is null then 'open_overdue'
            when is_on_time then 'on_time'
            else 'late'
        end as outcome_state

    from judged

)

select * from final
