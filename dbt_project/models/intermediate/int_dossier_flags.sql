{#-
    One row per dossier and period (the dossiers of int_dossier_outcomes) with the facts the dossier criteria
    count: received / processed / ended in P, online channel, paper result, fee list, online payment, digitised
    and reused components, personal data store, citizen data connection (VNeID or a database of the rule
    table's citizen_data_databases), sync to the national portal, and a dissatisfied rating given in P. Which
    codes count (databases, payment channels, rating results) comes from the seed rule_code_sets. Facts are read from the same extraction as the
    dossier's outcome (its latest version in the period); those of the dossier's lists from the summaries in
    stg_portal__dossiers (one row per dossier: a join, not four aggregations of child tables).
-#}

with

code_sets as (

    {{ rule_code_sets(['citizen_data_databases', 'online_payment_channels', 'dissatisfied_rating_results']) }}

),

periods as (

    select * from {{ ref('int_period_evaluation_times') }}
    where {{ rebuilt_rows() }}

),

outcomes as (

    select * from {{ ref('int_dossier_outcomes') }}
    where {{ rebuilt_rows() }}

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

final as (

    select
        outcomes.period_type,
        outcomes.period_start,
        outcomes.dossier_id,
        outcomes.unit_id,
        outcomes.procedure_id,
        outcomes.is_received_in_period,
        outcomes.is_in_on_time_set,
        outcomes.is_on_time,
        outcomes.is_ended_in_period and outcomes.is_terminal and outcomes.is_in_on_time_set as is_terminal_end_in_period,
        outcomes.net_processing_working_days,
        outcomes.processed_end_at is not null
            and outcomes.processed_end_at >= periods.period_start_at as is_processed_in_period,
        outcomes.channel = 'online' as is_online,
        coalesce(outcomes.has_paper_result, false) as has_paper_result,
        coalesce(outcomes.has_fee, false) as has_fee,
        dossiers.has_electronic_result_file as has_electronic_result,
        dossiers.are_all_components_digitized as is_all_digitized,
        dossiers.has_reused_component,
        dossiers.has_personal_data_store_component as has_personal_store_component,
        dossiers.are_all_fees_zero as is_fee_all_zero,
        list_contains(code_sets.online_payment_channels, dossiers.online_payment) and dossiers.fee_entries > 0
            as is_paid_online,
        coalesce(dossiers.is_applicant_verified_with_vneid, false)
            or list_has_any(dossiers.database_codes, code_sets.citizen_data_databases) as is_citizen_data_connected,
        coalesce(dossiers.is_synced_to_national_portal, false) as is_synced,
        dissatisfied_ratings.dossier_id is not null as has_dissatisfied_rating

    from outcomes
    cross join code_sets
    inner join periods
        on periods.period_type = outcomes.period_type
        and periods.period_start = outcomes.period_start
    inner join {{ ref('stg_portal__dossiers') }} as dossiers
        on dossiers.period = outcomes.source_period
        and dossiers.dossier_id = outcomes.dossier_id
        and {{ rebuilt_months_filter('dossiers.period') }}
    left join dissatisfied_ratings
        on dissatisfied_ratings.period_type = outcomes.period_type
        and dissatisfied_ratings.period_start = outcomes.period_start
        and dissatisfied_ratings.dossier_id = outcomes.dossier_id

)

select * from final
