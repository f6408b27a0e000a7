{#-
    applicant_key: sha256 of the salt (var `pseudonym_salt`, default from env DVC_INDEX_PSEUDONYM_SALT, else
    'dvc-index') followed by the ID number as sent. Null when there is no ID number. The personal field
    itself is never selected into a stored column.
-#}
{% macro pseudonymise(column) -%}
    case
        when nullif(trim({{ column }}), '') is not null
            then sha256('{{ var("pseudonym_salt") | replace("'", "''") }}' || {{ column }})
    end
{%- endmacro %}


{#- The portal's personal fields: never selected past the base models, never shown in quarantine. -#}
{% macro portal_personal_fields() -%}
    {{ return(['ChuHoSo', 'SoGiayToChuHoSo', 'SoDienThoai', 'DiaChi']) }}
{%- endmacro %}
