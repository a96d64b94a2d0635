{# Department names compare without white space (incl. the full-width space), as ingest/reference.py does. #}
{% macro normalise_name(expr) -%}
    regexp_replace({{ expr }}, '[[:space:]　]+', '', 'g')
{%- endmacro %}


{#
    Select-list for a department column resolved through the alias seed joined as `alias_relation`:
    `<name>` canonical (as written when it does not resolve), `<name>_raw`, and `dept_resolved`.
#}
{% macro resolved_department_columns(raw_expr, alias_relation, name) -%}
    coalesce({{ alias_relation }}.dept_name, {{ raw_expr }}) as {{ name }},
    {{ raw_expr }} as {{ name }}_raw,
    ({{ alias_relation }}.dept_name is not null) as dept_resolved
{%- endmacro %}


{% macro join_department_alias(raw_expr, alias_relation) -%}
    left join {{ ref('ref_department_aliases') }} as {{ alias_relation }}
        on {{ alias_relation }}.alias = {{ normalise_name(raw_expr) }}
{%- endmacro %}
