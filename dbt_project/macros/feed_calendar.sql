{#
    When each feed owes a file (FEEDS.md "Due dates and completeness"). Mirrors the registry's
    Feed.source / cadence (ingest/registry.py); tests/test_dbt_indicators.py fails when they drift.
    statistics: due the 20th of the next month, no January file (the first period is 1-2月);
    department feeds: the 5th; quarterly feeds owe files for 03/06/09/12 only.
#}
{% macro feed_calendar() -%}
    {{ return({
        'stats_services': {'source': 'statistics', 'cadence': 'monthly'},
        'stats_enterprises': {'source': 'statistics', 'cadence': 'monthly'},
        'stats_fai': {'source': 'statistics', 'cadence': 'monthly'},
        'stats_employment': {'source': 'statistics', 'cadence': 'quarterly'},
        'tax_revenue': {'source': 'department', 'cadence': 'monthly'},
        'major_projects': {'source': 'department', 'cadence': 'monthly'},
        'innovation_zones': {'source': 'department', 'cadence': 'monthly'},
        'enterprise_cultivation': {'source': 'department', 'cadence': 'monthly'},
        'talent_registry': {'source': 'department', 'cadence': 'monthly'},
        'training_records': {'source': 'department', 'cadence': 'monthly'},
        'dept_task_progress': {'source': 'department', 'cadence': 'monthly'},
        'supervision_items': {'source': 'department', 'cadence': 'monthly'},
    }) }}
{%- endmacro %}


{# One row per feed: feed_id, feed_source, cadence, due_day, first_month (a select usable as a CTE body). #}
{% macro feed_calendar_rows() -%}
    {%- for feed_id, f in feed_calendar().items() %}
    select
        '{{ feed_id }}' as feed_id,
        '{{ f.source }}' as feed_source,
        '{{ f.cadence }}' as cadence,
        {{ 20 if f.source == 'statistics' else 5 }} as due_day,
        {{ 2 if f.source == 'statistics' else 1 }} as first_month
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{# The date completeness is judged at: var as_of_date (ISO) or today. #}
{% macro as_of_date() -%}
    {%- if var('as_of_date', '') -%}cast('{{ var("as_of_date") }}' as date){%- else -%}current_date{%- endif -%}
{%- endmacro %}
