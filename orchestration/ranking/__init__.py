"""Ranking helpers that SQL does poorly: the bootstrap of rank intervals (used by the dbt model rpt_rank_intervals)."""
