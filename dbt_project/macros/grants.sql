{#
    Single-table grants on the server (PostgreSQL only): who may read a model beyond the readers
    of its whole schema. The one home of the list is ingest/database.py (TABLE_GRANTS);
    orchestration/dbt.py `dbt_environment()` hands it to dbt as DBT_SVCMON_TABLE_GRANTS (JSON:
    [{"privilege", "role", "table": "schema.name"}]). Each model runs this as a post-hook, so a
    view dbt recreates (a new object, without the old one's grants) gets its grants back in the
    same transaction. DuckDB has no roles: nothing to do.
#}
{% macro table_grants() %}
    {{- return(adapter.dispatch('table_grants', 'svcmon')()) -}}
{% endmacro %}

{% macro default__table_grants() %}{% endmacro %}

{% macro postgres__table_grants() %}
    {%- set relation = this.schema ~ '.' ~ this.identifier -%}
    {%- for grant in fromjson(env_var('DBT_SVCMON_TABLE_GRANTS', '[]')) if grant.table == relation -%}
        grant usage on schema {{ this.schema }} to {{ grant.role }};
        grant {{ grant.privilege }} on {{ this }} to {{ grant.role }};
    {% endfor -%}
{% endmacro %}
