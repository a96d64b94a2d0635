{#
    dbt's accepted_values and relationships tests, with one change: when failures are stored
    (store_failures, set for the marts and intermediate models in dbt_project.yml) they keep the
    failing rows themselves, not one row per bad value, so the rows' `period` says which periods a
    failure is charged to (expectations/runner.py record_dbt_results). Without store_failures they
    are dbt's own.
#}
{% macro default__test_accepted_values(model, column_name, values, quote=True) %}
{%- if should_store_failures() %}
select *
from {{ model }}
where {{ column_name }} not in (
    {%- for value in values -%}
        {%- if quote %}'{{ value }}'{% else %}{{ value }}{% endif -%}
        {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
)
{%- else %}
{{ dbt.default__test_accepted_values(model, column_name, values, quote) }}
{%- endif %}
{% endmacro %}


{% macro default__test_relationships(model, column_name, to, field) %}
{%- if should_store_failures() %}
select child.*
from (select * from {{ model }}) as child
left join (select {{ field }} as to_field from {{ to }}) as parent
    on child.{{ column_name }} = parent.to_field
where child.{{ column_name }} is not null and parent.to_field is null
{%- else %}
{{ dbt.default__test_relationships(model, column_name, to, field) }}
{%- endif %}
{% endmacro %}
