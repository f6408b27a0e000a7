{#-
    One row per dossier and period: every fact of the dossier that a criterion counts, computed in one pass over
    the dossiers and read once by the criterion inputs. Its outcome judged for the period (METHODOLOGY.md, "How
    a dossier's outcome is decided", with the readings of orchestration/portal/simulator/evaluation.py), and
    what it had: received / processed / ended in P, online channel, paper result, fee list, online payment,
    digitised and reused components, personal data store, citizen data connection (VNeID or a database of the
    rule table's citizen_data_databases), sync to the national portal, a dissatisfied rating given in P. Which
    codes count (databases, payment channels, rating results) comes from the seed rule_code_sets.

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

    One pass over the dossiers: the status history, the supplement requests and the summaries of the other lists
    are read on the dossier row (stg_portal__dossiers), from the same version as the outcome, not joined from
    child tables or read a second time.
-#}

with

code_sets as (

    {{ rule_code_sets(['citizen_data_databases', 'online_payment_channels', 'dissatisfied_rating_results']) }}

),

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ rebuilt_rows() }}

),

attribution as (

    select * from {{ ref('int_unit_record_attribution') }}
    where {{ period_is_rebuilt() }}

),

{#- The latest version of a dossier for a period is its row of the last month, among the period's months, in
    which it was extracted: the row whose next extraction (next_period) is after the period's last month, or
    which has none. Decided from the keys alone: the window sorts (period, dossier_id) only, and each dossier
    row is then matched to the periods it is the latest version for (version_windows, at most a few dozen
    (month, next month) pairs) without a join or an aggregation over the dossier rows themselves. (Ranking
    the rows of every period by a window, as before, grouped 44 million wide rows at national scale: 396 s of
    thread time in a model of 349 s, 28 GB spilled; now 54 s, no spill.) -#}
dossier_appearances as (

    select
        period,
        dossier_id,
        lead(period) over (partition by dossier_id order by period) as next_period
    from {{ ref('stg_portal__dossiers') }}
    where {{ rebuilt_months_filter('period') }}

),

version_windows as (

    select
        list({
            'source_period': versions.source_period,
            'next_period': versions.next_period,
            'period_type': periods.period_type,
            'period_start': periods.period_start,
            'period_start_at': periods.period_start_at,
            'evaluated_at': periods.evaluated_at
        }) as windows

    from (select distinct period as source_period, next_period from dossier_appearances) as versions
    inner join periods
        on versions.source_period between periods.first_month and periods.last_month
        and (versions.next_period is null or versions.next_period > periods.last_month)

),

{#- One row per dossier row and period it is the latest version for, by unnesting the matching windows: a
    join here would be planned from DuckDB's estimate of this relation, which is far too small, and build its
    hash table from the dossier side. The history's terminal times are read once per dossier row. -#}
dossier_rows as (

    select
        dossiers.*,
        {#- The first time of each terminal status in the history (entries without a time do not count). -#}
        {%- for status, column in [('processed', 'history_processed_at'), ('result_returned', 'history_returned_at'),
                                   ('stopped', 'history_stopped_at'), ('not_received', 'history_refused_at'),
                                   ('withdrawn', 'history_withdrawn_at')] %}
        list_min(list_transform(
            list_filter(dossiers.status_history, lambda entry: entry.status = '{{ status }}'),
            lambda entry: entry.changed_at
        )) as {{ column }},
        {%- endfor %}
        unnest(list_filter(
            version_windows.windows,
            lambda candidate: candidate.source_period = dossiers.period
                and candidate.next_period is not distinct from dossier_appearances.next_period
        )) as version_window

    from {{ ref('stg_portal__dossiers') }} as dossiers
    inner join dossier_appearances
        on dossier_appearances.period = dossiers.period
        and dossier_appearances.dossier_id = dossiers.dossier_id
    cross join version_windows
    where {{ rebuilt_months_filter('dossiers.period') }}

),

dossier_versions as (

    select
        dossier_rows.version_window.period_type as period_type,
        dossier_rows.version_window.period_start as period_start,
        dossier_rows.version_window.period_start_at as period_start_at,
        dossier_rows.version_window.evaluated_at as evaluated_at,
        dossier_rows.period as source_period,
        dossier_rows.dossier_id,
        dossier_rows.procedure_id,
        dossier_rows.unit_id as source_unit_id,
        dossier_rows.channel,
        dossier_rows.status,
        dossier_rows.received_at,
        dossier_rows.due_at,
        dossier_rows.processing_ended_at,
        dossier_rows.returned_at,
        dossier_rows.refused_at,
        dossier_rows.history_processed_at,
        dossier_rows.history_returned_at,
        dossier_rows.history_stopped_at,
        dossier_rows.history_refused_at,
        dossier_rows.history_withdrawn_at,
        coalesce(dossier_rows.supplements, []) as supplements,
        dossier_rows.has_electronic_result_file,
        dossier_rows.are_all_components_digitized,
        dossier_rows.has_reused_component,
        dossier_rows.has_personal_data_store_component,
        dossier_rows.are_all_fees_zero,
        dossier_rows.fee_entries,
        dossier_rows.online_payment,
        dossier_rows.database_codes,
        dossier_rows.is_applicant_verified_with_vneid,
        dossier_rows.is_synced_to_national_portal

    from dossier_rows

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
        dossier_versions.has_electronic_result_file,
        dossier_versions.are_all_components_digitized,
        dossier_versions.has_reused_component,
        dossier_versions.has_personal_data_store_component,
        dossier_versions.are_all_fees_zero,
        dossier_versions.fee_entries,
        dossier_versions.online_payment,
        dossier_versions.database_codes,
        dossier_versions.is_applicant_verified_with_vneid,
        dossier_versions.is_synced_to_national_portal,
        procedure_attributes.time_limit_working_days,
        procedure_attributes.has_paper_result,
        procedure_attributes.has_fee,
        coalesce(
            dossier_versions.history_processed_at,
            dossier_versions.history_returned_at,
            dossier_versions.history_stopped_at,
            dossier_versions.history_refused_at,
            dossier_versions.history_withdrawn_at
        ) is not null as has_terminal_history,
        case
            when has_terminal_history then dossier_versions.history_processed_at
            when dossier_versions.status is distinct from 'stopped' then dossier_versions.processing_ended_at
        end as processed_at,
        case
            when has_terminal_history then dossier_versions.history_returned_at
            else dossier_versions.returned_at
        end as result_returned_at,
        case
            when has_terminal_history then dossier_versions.history_stopped_at
            when dossier_versions.status = 'stopped' then dossier_versions.processing_ended_at
        end as stopped_at,
        case
            when has_terminal_history then dossier_versions.history_refused_at
            else dossier_versions.refused_at
        end as refused_at,
        case when has_terminal_history then dossier_versions.history_withdrawn_at end as withdrawn_at,
        {#- The supplement requests made by the evaluation time; a completion after it has not happened yet. -#}
        list_transform(
            list_filter(
                dossier_versions.supplements,
                lambda request: request.requested_at is not null
                    and request.requested_at <= dossier_versions.evaluated_at
            ),
            lambda request: {
                'requested_at': request.requested_at,
                'completed_at': case
                    when request.completed_at <= dossier_versions.evaluated_at then request.completed_at
                end
            }
        ) as supplement_requests

    from dossier_versions
    inner join attribution
        on attribution.period_type = dossier_versions.period_type
        and attribution.period_start = dossier_versions.period_start
        and attribution.source_unit_id = dossier_versions.source_unit_id
    inner join procedure_attributes
        on procedure_attributes.period_type = dossier_versions.period_type
        and procedure_attributes.period_start = dossier_versions.period_start
        and procedure_attributes.procedure_id = dossier_versions.procedure_id
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

ends as (

    select
        terminal_events.*,
        coalesce(
            processed_by_eval_at, returned_by_eval_at, stopped_or_refused_by_eval_at, withdrawn_by_eval_at
        ) as terminal_end_at,
        coalesce(processed_by_eval_at, returned_by_eval_at) as processed_end_at,
        len(supplement_requests) as supplement_request_count,
        len(list_filter(supplement_requests, lambda request: request.completed_at is not null))
            as completed_supplement_request_count,
        terminal_end_at is null
            and supplement_request_count >= 2
            and completed_supplement_request_count = 0
            as is_forced_overdue,
        case
            when terminal_end_at is not null then terminal_end_at
            when is_forced_overdue
                then list_max(list_transform(supplement_requests, lambda request: request.requested_at))
            else list_min(list_transform(
                list_filter(supplement_requests, lambda request: request.completed_at is null),
                lambda request: request.requested_at
            ))
        end as end_at

    from terminal_events

),

{#- Only supplement time completed by the end (or by the evaluation time while open) counts: the working days
    between each such request and its completion. -#}
pauses as (

    select
        ends.*,
        coalesce(list_sum(list_transform(
            list_filter(
                ends.supplement_requests,
                lambda request: request.completed_at is not null
                    and request.completed_at <= coalesce(ends.end_at, ends.evaluated_at)
            ),
            lambda request: {{ working_days_between('request.requested_at', 'request.completed_at') }}
        )), 0) as supplement_working_days

    from ends
    cross join {{ working_day_calendar() }}

),

judged as (

    select
        pauses.*,
        coalesce(pauses.end_at, pauses.evaluated_at) as judged_at,
        case
            when pauses.supplement_working_days > 0
                then {{ add_working_days_keep_time('pauses.due_at', 'pauses.supplement_working_days') }}
            else pauses.due_at
        end as moved_due_at,
        {{ working_days_between('pauses.received_at', 'coalesce(pauses.end_at, pauses.evaluated_at)') }}
            - pauses.supplement_working_days as net_processing_working_days

    from pauses
    cross join {{ working_day_calendar() }}

),

dissatisfied_ratings as (

    select distinct
        periods.period_type,
        periods.period_start,
        ratings.dossier_id

    from periods
    cross join code_sets
    inner join {{ ref('stg_portal__ratings') }} as ratings
        on ratings.period between periods.first_month and periods.last_month
        and ratings.rated_at >= periods.period_start_at
        and ratings.rated_at <= periods.evaluated_at
    where list_contains(code_sets.dissatisfied_rating_results, ratings.rating_result)
        and {{ rebuilt_months_filter('ratings.period') }}

),

outcomes as (

    select
        period_type,
        period_start,
        period_start_at,
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
        end as outcome_state,
        has_electronic_result_file,
        are_all_components_digitized,
        has_reused_component,
        has_personal_data_store_component,
        are_all_fees_zero,
        fee_entries,
        online_payment,
        database_codes,
        is_applicant_verified_with_vneid,
        is_synced_to_national_portal

    from judged

),

final as (

    select
        outcomes.period_type,
        outcomes.period_start,
        outcomes.dossier_id,
        outcomes.source_period,
        outcomes.unit_id,
        outcomes.source_unit_id,
        outcomes.procedure_id,
        outcomes.channel,
        coalesce(outcomes.has_paper_result, false) as has_paper_result,
        coalesce(outcomes.has_fee, false) as has_fee,
        outcomes.received_at,
        outcomes.due_at,
        outcomes.time_limit_working_days,
        outcomes.end_at,
        outcomes.processed_end_at,
        outcomes.is_terminal,
        outcomes.supplement_request_count,
        outcomes.completed_supplement_request_count,
        outcomes.supplement_working_days,
        outcomes.moved_due_at,
        outcomes.net_processing_working_days,
        outcomes.is_forced_overdue,
        outcomes.is_on_time,
        outcomes.is_received_in_period,
        outcomes.is_in_on_time_set,
        outcomes.is_ended_in_period,
        outcomes.outcome_state,
        outcomes.is_ended_in_period and outcomes.is_terminal and outcomes.is_in_on_time_set
            as is_terminal_end_in_period,
        outcomes.processed_end_at is not null
            and outcomes.processed_end_at >= outcomes.period_start_at as is_processed_in_period,
        outcomes.channel = 'online' as is_online,
        outcomes.has_electronic_result_file as has_electronic_result,
        outcomes.are_all_components_digitized as is_all_digitized,
        outcomes.has_reused_component,
        outcomes.has_personal_data_store_component as has_personal_store_component,
        outcomes.are_all_fees_zero as is_fee_all_zero,
        list_contains(code_sets.online_payment_channels, outcomes.online_payment) and outcomes.fee_entries > 0
            as is_paid_online,
        coalesce(outcomes.is_applicant_verified_with_vneid, false)
            or list_has_any(outcomes.database_codes, code_sets.citizen_data_databases) as is_citizen_data_connected,
        coalesce(outcomes.is_synced_to_national_portal, false) as is_synced,
        {#- A semi-join (DuckDB's mark join builds on the ratings): a left join was planned with its hash table
            on the dossiers' side. -#}
        exists (
            select 1
            from dissatisfied_ratings
            where dissatisfied_ratings.period_type = outcomes.period_type
                and dissatisfied_ratings.period_start = outcomes.period_start
                and dissatisfied_ratings.dossier_id = outcomes.dossier_id
        ) as has_dissatisfied_rating

    from outcomes
    cross join code_sets

)

select * from final
