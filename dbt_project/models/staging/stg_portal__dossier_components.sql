{{ config(materialized='view') }}

{#- One row per entry of the dossier's TaiLieuNop (stg_portal__dossiers.components): a view. -#}
{{ dossier_list_entries('components', 'component_sequence', ['component_code', 'is_digitized', 'is_reused', 'is_from_personal_data_store']) }}
