{{ config(materialized='view') }}

{#- One row per entry of the dossier's DanhSachGiayToKetQua (stg_portal__dossiers.results): a view. -#}
{{ dossier_list_entries('results', 'result_sequence', ['result_document_code', 'result_file_url']) }}
