{#
    person_key = HMAC-SHA256(secret, normalised ID number), hex (ARCHITECTURE.md "Personal data").
    The secret comes from env var SVCMON_PII_SECRET; the demo default is not a secret.
#}
{% macro person_key(id_expr) -%}
    {{ return(adapter.dispatch('person_key')(normalised_id_number(id_expr), env_var('SVCMON_PII_SECRET', 'svcmon-demo-secret'))) }}
{%- endmacro %}


{# Upper case, no white space, full-width Ｘ/ｘ as X: the form the check character is computed on. #}
{% macro normalised_id_number(id_expr) -%}
    upper(replace(replace(regexp_replace({{ id_expr }}, '[[:space:]　]+', '', 'g'), 'ｘ', 'X'), 'Ｘ', 'X'))
{%- endmacro %}


{% macro postgres__person_key(id_sql, secret) -%}
    encode(hmac(convert_to({{ id_sql }}, 'UTF8'), convert_to('{{ secret | replace("'", "''") }}', 'UTF8'), 'sha256'), 'hex')
{%- endmacro %}


{#
    DuckDB has no hmac(): RFC 2104 spelled out with sha256 over blobs,
    sha256((K xor opad) || sha256((K xor ipad) || message)), K zero-padded to 64 bytes
    (a longer secret is hashed first). Same result as Python's hmac.new(secret, id, sha256).
#}
{% macro default__person_key(id_sql, secret) -%}
    {%- set secret_sql = "'" ~ (secret | replace("'", "''")) ~ "'" -%}
    {%- set key_hex -%}
        rpad(case when octet_length(encode({{ secret_sql }})) > 64 then sha256(encode({{ secret_sql }}))
                  else lower(hex(encode({{ secret_sql }}))) end, 128, '0')
    {%- endset -%}
    {%- set pad_blob -%}
        unhex(list_aggr(list_transform(range(64), lambda i: lpad(to_hex(xor(('0x' || substr({{ key_hex }}, 2 * i + 1, 2))::integer, PAD)), 2, '0')), 'string_agg', ''))
    {%- endset -%}
    case when {{ id_sql }} is not null then
        sha256({{ pad_blob | replace('PAD', '92') }} || unhex(sha256({{ pad_blob | replace('PAD', '54') }} || encode({{ id_sql }}))))
    end
{%- endmacro %}
