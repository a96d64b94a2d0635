{# Year and month of a 'YYYY-MM' text period. #}
{% macro period_year(period_expr) -%}
    cast(substr({{ period_expr }}, 1, 4) as integer)
{%- endmacro %}

{% macro period_month(period_expr) -%}
    cast(substr({{ period_expr }}, 6, 2) as integer)
{%- endmacro %}

{# 'YYYY-MM' from integer year and month expressions. #}
{% macro make_period(year_expr, month_expr) -%}
    (cast({{ year_expr }} as varchar) || '-' || lpad(cast({{ month_expr }} as varchar), 2, '0'))
{%- endmacro %}


{#
    Monthly flow from a year-to-date column: YTD(N) − YTD(previous period of the same year),
    the first period of a year = its YTD (the statistics bureau's 1-2月 covers two months).
    `partition_by` lists the columns that identify one series (e.g. industry_code).
#}
{% macro ytd_to_monthly(ytd_expr, partition_by, period_expr='period') -%}
    ({{ ytd_expr }} - coalesce(lag({{ ytd_expr }}) over (
        partition by {{ partition_by | join(', ') }}, {{ period_year(period_expr) }}
        order by {{ period_expr }}
    ), 0))
{%- endmacro %}

{# How many months a monthly flow from ytd_to_monthly covers (2 for 1-2月, more after a gap). #}
{% macro months_covered(partition_by, period_expr='period') -%}
    ({{ period_month(period_expr) }} - coalesce(lag({{ period_month(period_expr) }}) over (
        partition by {{ partition_by | join(', ') }}, {{ period_year(period_expr) }}
        order by {{ period_expr }}
    ), 0))
{%- endmacro %}


{# The 8-byte float type: `double` in DuckDB, `double precision` in PostgreSQL. #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double{%- endmacro %}

{% macro postgres__type_double() -%}double precision{%- endmacro %}


{#
    A value that changes from one run to the next (the run's months, its as-of date): the
    environment variable SVCMON_RUN_<NAME> when set, else the var <name>. orchestration/dbt.py
    passes these values in the environment (`_split_vars`, `_run_environment`): a changed --vars makes dbt
    re-parse the whole project, a changed environment variable only the files that read it.
#}
{% macro run_value(name, default='') -%}
    {{- return(env_var('SVCMON_RUN_' ~ (name | upper), var(name, default))) -}}
{%- endmacro %}


{#
    The months a partitioned run rebuilds (run values period_from / period_to, set by Dagster
    from the run's partition range): the one home of that bound.
#}
{% macro in_run_periods(period_expr='period') -%}
    {{ period_expr }} between '{{ run_value("period_from") }}' and '{{ run_value("period_to") }}'
{%- endmacro %}


{#
    The configuration every period mart shares: rebuilt a month at a time (delete+insert on
    period, bounded by in_run_periods), full history on the first build, tagged for
    Dagster's monthly-partitioned dbt asset.
#}
{% macro period_mart_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'period',
        'on_schema_change': 'fail',
        'tags': ['partitioned'],
    }) }}
{%- endmacro %}


{# The date completeness is judged at: run value as_of_date (ISO) or today. #}
{% macro as_of_date() -%}
    {%- set as_of = run_value('as_of_date') -%}
    {%- if as_of -%}cast('{{ as_of }}' as date){%- else -%}current_date{%- endif -%}
{%- endmacro %}
