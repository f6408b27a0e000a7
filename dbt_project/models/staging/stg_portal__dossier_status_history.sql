{{ config(materialized='view') }}

{#- One row per entry of the dossier's QuaTrinhXuLy (stg_portal__dossiers.status_history): a view. -#}
{{ dossier_list_entries('status_history', 'status_sequence', ['status', 'changed_at']) }}
