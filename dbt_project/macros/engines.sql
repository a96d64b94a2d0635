{#
    Engine differences dbt itself does not hide (dbt_project.yml dispatches the `dbt` namespace
    to this project first, so these adapter-specific versions replace dbt's own).

    PostgreSQL: a string expression (a literal, `||`, trim, a CASE of literals) is `text`, while a
    contract's `varchar` column is `character varying`; for PostgreSQL both are the same unbounded
    string. dbt's incremental schema check would call every second build of a contracted period
    mart a type change. Unbounded strings count as one type here; every other difference (a
    number that became text, a bounded varchar that grew) still fails the build.
#}
{% macro postgres__diff_column_data_types(source_columns, target_columns) %}
    {%- set result = [] -%}
    {%- for sc in source_columns -%}
        {%- set tc = target_columns | selectattr("name", "equalto", sc.name) | list | first -%}
        {%- if tc and _comparable_type(sc) != _comparable_type(tc) and not sc.can_expand_to(other_column=tc) -%}
            {%- do result.append({'column_name': tc.name, 'new_type': sc.expanded_data_type}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}


{% macro _comparable_type(column) -%}
    {%- if column.is_string() and (column.dtype | lower == 'text' or column.char_size is none) -%}
        {{ return('unbounded string') }}
    {%- endif -%}
    {{ return(column.expanded_data_type) }}
{%- endmacro %}
