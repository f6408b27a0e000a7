{{ config(materialized='view') }}

{#- One row per entry of the dossier's DSKetNoiCSDL (stg_portal__dossiers.database_links): a view. -#}
{{ dossier_list_entries('database_links', 'database_link_sequence', ['database_code']) }}
