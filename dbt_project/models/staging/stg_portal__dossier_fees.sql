{{ config(materialized='view') }}

{#- One row per entry of the dossier's DanhSachLePhi (stg_portal__dossiers.fees): a view. -#}
{{ dossier_list_entries('fees', 'fee_sequence', ['fee_code', 'amount_vnd']) }}
