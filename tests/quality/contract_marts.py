"""rpt_rankings and rpt_score_changes built from fct_unit_scores, dim_units and staging, following their contract.

The lead is building the real models in main; until they reach this branch, tests add these fixture tables to
a warehouse (real or hand-made) so the gate has the tables it checks. Ranks follow the contract: peer groups by
unit type within the province or ministry they sit in, competition ranks (1, 2, 2, 4) of total_points among the
members with dossiers received in the month, none for the others.
"""

from __future__ import annotations

import duckdb

PEER_GROUPS = """
    case u.unit_type
        when 'ministry' then 'ministries' when 'province' then 'provinces'
        when 'provincial_department' then 'provincial_departments' when 'district_people_committee' then 'districts'
        when 'commune_people_committee' then 'communes' when 'ministry_unit' then 'ministry_units'
    end
"""


def add_contract_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Create marts.rpt_rankings and marts.rpt_score_changes (replacing fixture versions) for every month."""
    con.execute(f"""
        create or replace table marts.rpt_rankings as
        with received as (
            select period, unit_id, count(*) as dossiers_received
            from staging.stg_portal__dossiers
            where strftime(received_at, '%Y-%m') = period
            group by all
        ),
        scored as (
            select s.period_type, s.period_start, s.unit_id, u.unit_name, u.unit_type,
                {PEER_GROUPS} as peer_group,
                case when u.unit_type in ('ministry', 'province') then null
                     else coalesce(p2.unit_id, p1.unit_id) end as peer_group_unit_id,
                s.total_points, s.band_code,
                coalesce(r.dossiers_received, 0) as dossiers_received
            from marts.fct_unit_scores s
            join marts.dim_units u using (unit_id)
            left join marts.dim_units p1 on p1.unit_id = u.parent_unit_id
            left join marts.dim_units p2 on p2.unit_id = p1.parent_unit_id
            left join received r on r.unit_id = s.unit_id and r.period = strftime(s.period_start, '%Y-%m')
            where s.period_type = 'month' and s.input_source = 'records'
        ),
        ranked as (
            select *, dossiers_received > 0 as is_ranked,
                case when dossiers_received > 0 then rank() over (
                    partition by period_start, peer_group, peer_group_unit_id, dossiers_received > 0
                    order by total_points desc) end::integer as competition_rank,
                case when dossiers_received > 0 then dense_rank() over (
                    partition by period_start, peer_group, peer_group_unit_id, dossiers_received > 0
                    order by total_points desc) end::integer as dense_rank,
                (count(*) filter (where dossiers_received > 0)
                    over (partition by period_start, peer_group, peer_group_unit_id))::integer as peer_group_size
            from scored
        )
        select cur.period_type, cur.period_start, cur.unit_id, cur.unit_name, cur.unit_type, cur.peer_group,
            cur.peer_group_unit_id, cur.peer_group_size, cur.total_points, cur.band_code, cur.is_ranked,
            cur.competition_rank, cur.dense_rank,
            (row_number() over (partition by cur.period_start, cur.peer_group, cur.peer_group_unit_id
                order by cur.competition_rank nulls last, cur.unit_name))::integer as listing_order,
            cur.dossiers_received::bigint as dossiers_received,
            prev.period_start as previous_period_start, prev.total_points as previous_total_points,
            prev.competition_rank as previous_competition_rank,
            case when prev.unit_id is not null then 'same_unit' end as previous_basis,
            (cur.total_points - prev.total_points)::decimal(6, 2) as points_change,
            (prev.competition_rank - cur.competition_rank)::integer as rank_change,
            null::integer as rank_interval_low, null::integer as rank_interval_high,
            false as is_rank_change_significant, cur.dossiers_received < 30 as is_low_volume,
            false as is_provisional, false as is_restated
        from ranked cur
        left join ranked prev on prev.unit_id = cur.unit_id and prev.period_start = cur.period_start - interval 1 month
    """)
    con.execute("""
        create or replace table marts.rpt_score_changes as
        select cur.period_type, cur.period_start, prev.period_start as previous_period_start, cur.unit_id,
            cur.criterion_code, cur.group_code, 'same_unit' as previous_basis,
            cur.numerator, cur.denominator, prev.numerator as previous_numerator,
            prev.denominator as previous_denominator, cur.points, prev.points as previous_points,
            (cur.points - prev.points)::decimal(6, 2) as points_change,
            (cur.points - prev.points)::decimal(6, 2) as numerator_effect, 0::decimal(6, 2) as denominator_effect
        from marts.fct_criterion_values cur
        join marts.fct_criterion_values prev
            on prev.unit_id = cur.unit_id and prev.criterion_code = cur.criterion_code
            and prev.input_source = cur.input_source and prev.period_type = cur.period_type
            and prev.period_start = cur.period_start - interval 1 month
        where cur.period_type = 'month' and cur.input_source = 'records'
    """)
