{{ config(materialized='view') }}

{#- One row per entry of the dossier's DanhSachHoSoBoSung (stg_portal__dossiers.supplements): a view. -#}
{{ dossier_list_entries('supplements', 'supplement_sequence', ['requested_at', 'completed_at']) }}
